"""django-filter FilterSets of the list pages, one module per section."""
