"""The size limit of uploaded documents, enforced while the request is read.

``DocumentSizeLimitHandler`` is the first of ``settings.FILE_UPLOAD_HANDLERS``: the
input middleware (``cooperation.middleware_input``) parses every multipart body
before a view runs, so the limit has to be in place for every request rather than
installed by the upload views (Django refuses to change ``request.upload_handlers``
once the body has been parsed).

- A body whose ``Content-Length`` already says it is too large is not read at all:
  ``handle_raw_input`` answers for the parser with no fields and no files.
- Otherwise each file is counted as it arrives; once it passes the limit the file is
  skipped (``SkipFile``): nothing past the limit reaches the memory or the temporary
  file of the next handlers, and the fields around it are still read.

Either way the request is marked (``limit_exceeded``) and the upload view answers 413
with ``limit_message()``, in the user's language.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.formats import number_format
from django.utils.translation import gettext

# Room in a multipart body for the form's other fields (title, description, CSRF
# token) and the part headers and boundaries around the file.
FORM_ALLOWANCE = 64 * 1024
# Set on the request when an upload was refused for its size.
REFUSED_ATTRIBUTE = "document_upload_too_large"


def max_bytes():
    return settings.PORTAL_DOCUMENT_MAX_BYTES


def size_label(size):
    """A size as people read it: "25 MB", "1.5 MB", "300 KB"."""
    megabytes = size / (1024 * 1024)
    if megabytes >= 1:
        decimals = 0 if megabytes == int(megabytes) else 1
        return f"{number_format(megabytes, decimals)} MB"
    return f"{number_format(max(1, round(size / 1024)), 0)} KB"


def limit_message():
    return gettext("The file is larger than the %(limit)s limit.") % {
        "limit": size_label(max_bytes())
    }


def limit_exceeded(request):
    """Whether the request's upload was refused for its size (reads the body)."""
    request.FILES  # noqa: B018 - parse the body (if not yet) through the handlers
    return getattr(request, REFUSED_ATTRIBUTE, False)


class DocumentSizeLimitHandler(FileUploadHandler):
    """Refuse an uploaded file larger than ``settings.PORTAL_DOCUMENT_MAX_BYTES``."""

    def _refuse(self):
        if self.request is not None:
            setattr(self.request, REFUSED_ATTRIBUTE, True)

    def handle_raw_input(
        self, input_data, META, content_length, boundary, encoding=None
    ):
        self.limit = max_bytes()
        if content_length > self.limit + FORM_ALLOWANCE:
            self._refuse()
            # Parsed: nothing. The body is left unread.
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if not hasattr(self, "limit"):
            self.limit = max_bytes()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self._refuse()
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handlers keep the file
