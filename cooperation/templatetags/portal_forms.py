"""``{% filter_field %}``: one field of a list's filter form, in Bootstrap 5 markup.

The markup is what crispy-forms' Bootstrap 5 template pack (``bootstrap5/field.html``)
gave these fields, built here in Python: crispy renders half a dozen templates per
field, which made the filter form the costliest part of a list page. The widgets carry
their classes from ``cooperation.filters.common.FilterForm`` (``is-invalid`` added
while the field has errors), so nothing is changed on them here.

- a text, date or select field: its ``form-label`` label, the widget, the errors
  (``invalid-feedback``) and the help text (``form-text``, which the widget's
  ``aria-describedby`` names, as it names the errors);
- a checkbox: the same in a ``form-check``, the label after the box;
- a group of checkboxes or radios: a ``fieldset`` whose ``legend`` is the label, one
  ``form-check`` per option, the errors after the last one.
"""

from django import forms, template
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join

from cooperation.filters.common import CHOICE_GROUP_WIDGETS

register = template.Library()

_REQUIRED = format_html('<span class="asteriskField">{}</span>', "*")


@register.simple_tag
def filter_field(field):
    """The markup of ``field`` (a BoundField of a filter form)."""
    if field.is_hidden:
        return str(field)
    widget = field.field.widget
    if isinstance(widget, CHOICE_GROUP_WIDGETS):
        return _choice_group(field)
    if isinstance(widget, forms.CheckboxInput):
        return _checkbox(field)
    return _single(field)


def _wrapper_class(base, field):
    extra = field.css_classes()
    return f"{base} {extra}" if extra else base


def _label_content(field):
    if field.field.required:
        return format_html("{}{}", field.label, _REQUIRED)
    return field.label


def _required_class(field):
    return " requiredField" if field.field.required else ""


def _errors(field):
    errors = field.errors
    if not errors:
        return ""
    auto_id = field.auto_id
    items = format_html_join(
        "",
        '<p id="error_{}_{}"><strong>{}</strong></p>',
        ((number, auto_id, error) for number, error in enumerate(errors, 1)),
    )
    return format_html(
        '<div id="{}_error" class="invalid-feedback">{}</div>',
        errors.field_id or auto_id,
        items,
    )


def _help(field):
    if not field.help_text:
        return ""
    help_text = field.help_text
    if field.auto_id:
        return format_html(
            '<div id="{}_helptext" class="form-text">{}</div>', field.auto_id, help_text
        )
    return format_html('<div class="form-text">{}</div>', help_text)


def _single(field):
    label = ""
    if field.label:
        label_for = field.id_for_label
        label = format_html(
            '<label{} class="form-label{}">{}</label>',
            format_html(' for="{}"', label_for) if label_for else "",
            _required_class(field),
            _label_content(field),
        )
    return format_html(
        '<div id="div_{}" class="{}">{}{}{}{}</div>',
        field.auto_id,
        _wrapper_class("mb-3", field),
        label,
        str(field),
        _errors(field),
        _help(field),
    )


def _checkbox(field):
    return format_html(
        '<div class="mb-3"><div id="div_{}" class="{}">{}'
        '<label for="{}" class="form-check-label{}">{}</label>{}{}</div></div>',
        field.auto_id,
        _wrapper_class("form-check", field),
        str(field),
        field.id_for_label,
        _required_class(field),
        _label_content(field),
        _errors(field),
        _help(field),
    )


def _choice_group(field):
    input_class = "form-check-input is-invalid" if field.errors else "form-check-input"
    options = [option.data for option in field]
    errors = _errors(field)
    items = []
    for number, option in enumerate(options, 1):
        items.append(
            format_html(
                '<div class="form-check"><input type="{}" class="{}" name="{}"'
                ' value="{}"{}><label for="{}" class="form-check-label">{}</label>'
                "{}</div>",
                option["type"],
                input_class,
                field.html_name,
                str(option["value"]),
                flatatt(option["attrs"]),
                option["attrs"].get("id", ""),
                str(option["label"]),
                errors if number == len(options) else "",
            )
        )
    choices = format_html(
        "<div>{}</div>", format_html_join("", "{}", ((item,) for item in items))
    )
    if not field.label:
        return format_html(
            '<div id="div_{}" class="{}">{}{}</div>',
            field.auto_id,
            _wrapper_class("mb-3", field),
            choices,
            _help(field),
        )
    described_by = field.aria_describedby
    return format_html(
        '<div id="div_{}" class="{}"><fieldset{}>'
        '<legend class="form-label{} fs-6">{}</legend>{}{}</fieldset></div>',
        field.auto_id,
        _wrapper_class("mb-3", field),
        format_html(' aria-describedby="{}"', described_by) if described_by else "",
        _required_class(field),
        _label_content(field),
        choices,
        _help(field),
    )
