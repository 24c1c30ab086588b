"""Uploading a document, or a new version of one.

The forms take the fields; what the file may be is decided by
``services.documents.check_upload`` (by content, with the size limit), whose message
the views put on the ``file`` field.
"""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cooperation import uploads
from cooperation.models import Document

# A hint for the browser's file chooser; the content decides what is accepted.
ACCEPT = (
    ".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.odp,"
    ".png,.jpg,.jpeg,.gif,.webp,.txt,.csv"
)


class UploadField(forms.FileField):
    """A file input that tells the browser the size limit (``data-max-bytes``,
    checked by static/js/documents.js before anything is sent) and the message."""

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(
            {
                "accept": ACCEPT,
                "data-max-bytes": str(uploads.max_bytes()),
                "data-too-large": uploads.limit_message(),
            }
        )
        return attrs


def _file_field():
    return UploadField(
        label=_("File"),
        required=False,  # "Choose a file" below, after a refusal for its size
        help_text=_(
            "PDF, office documents, images (PNG, JPEG, GIF, WebP) or plain text; "
            "at most %(limit)s."
        ),
    )


class FileOnlyForm(forms.Form):
    """A new version of a document: the file alone."""

    def __init__(self, *args, refused=None, **kwargs):
        self.refused = refused
        super().__init__(*args, **kwargs)
        self.fields["file"] = _file_field()
        self.fields["file"].help_text = self.fields["file"].help_text % {
            "limit": uploads.size_label(uploads.max_bytes())
        }

    def clean_file(self):
        if self.refused:
            raise forms.ValidationError(self.refused, code="too_large")
        upload = self.cleaned_data.get("file")
        if not upload:
            raise forms.ValidationError(_("Choose a file to upload."), code="required")
        return upload


class DocumentForm(FileOnlyForm):
    """A new document: title, kind, description and its file."""

    title = forms.CharField(
        label=capfirst(Document._meta.get_field("title").verbose_name),
        max_length=200,
    )
    kind = forms.ChoiceField(
        label=capfirst(Document._meta.get_field("kind").verbose_name),
        choices=Document.Kind.choices,
        initial=Document.Kind.OTHER,
    )
    description = forms.CharField(
        label=capfirst(Document._meta.get_field("description").verbose_name),
        max_length=2_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    field_order = ["title", "kind", "description", "file"]

    def __init__(self, *args, kind=None, **kwargs):
        super().__init__(*args, **kwargs)
        if kind:
            self.fields["kind"].initial = kind
