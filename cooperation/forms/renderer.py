"""The form renderer: Django's Jinja2 widget templates, Django templates for the rest.

Django renders each widget through a template, and a select renders one per option:
with the Django template engine a list page's filter form was a good part of the page.
Django ships the same widget templates for Jinja2, which render them at a fraction of
the cost (``django.forms.renderers.Jinja2``). The admin and auth apps have widget
templates of their own, written for the Django engine only; they are found there.
"""

import functools

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class FormRenderer(BaseRenderer):
    @functools.cached_property
    def jinja2(self):
        return Jinja2()

    @functools.cached_property
    def django(self):
        return DjangoTemplates()

    def get_template(self, template_name):
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)
