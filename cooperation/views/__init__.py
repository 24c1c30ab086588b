"""Pages of the portal, one module per section."""
