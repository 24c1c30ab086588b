"""Documents on meetings, recommendations and initiatives: add, replace, delete.

Who may: a user with the Editor role on the record (``PARENT_PERMISSIONS``: the
record's change permission; for a meeting, also who records assessments for it), on
a record released to them.

What may be uploaded is decided by the file's content, never by its name or the type
the browser claims: PDF, office documents (Word, Excel, PowerPoint, old and new, and
OpenDocument), images (PNG, JPEG, GIF, WebP) and plain text or CSV in UTF-8. A
program renamed ``report.pdf`` is refused as a program; a zip that is not an office
document is refused. The size limit is enforced while the request is read
(``cooperation.uploads``) and checked again here for callers without a request.

The user's file name is kept to name the download (``original_name``, sanitised);
the stored path never uses it (``cooperation.models.documents.new_file_name``).
"""

import codecs
import hashlib
import os
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass

import filetype
from django.core.exceptions import (
    PermissionDenied,
    SuspiciousFileOperation,
    ValidationError,
)
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from cooperation import uploads
from cooperation.models import (
    AssessmentMeeting,
    Document,
    DocumentVersion,
    Initiative,
    Recommendation,
    User,
)
from cooperation.models.documents import documents_storage, new_file_name
from cooperation.services import notifications

# The permissions, any of which makes a user an Editor of each kind of parent
# record for its documents. A meeting's read-aheads, slides and minutes are
# brought by those who plan it (Schedulers) and by those who record their nation's
# assessments for it (Editors).
PARENT_PERMISSIONS = {
    AssessmentMeeting: (
        "cooperation.change_assessmentmeeting",
        "cooperation.add_situationassessment",
    ),
    Recommendation: ("cooperation.change_recommendation",),
    Initiative: ("cooperation.change_initiative",),
}
PARENT_FIELDS = {
    AssessmentMeeting: "meeting",
    Recommendation: "recommendation",
    Initiative: "initiative",
}

MAX_NAME_LENGTH = 150
HEAD_BYTES = 8192  # what ``filetype`` reads to recognise a file

PDF = "application/pdf"
IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
LEGACY_OFFICE = {
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
}
# Office Open XML: the part each kind must hold besides [Content_Types].xml.
OOXML = {
    "word/document.xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ),
    "xl/workbook.xml": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    "ppt/presentation.xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ),
}
OPEN_DOCUMENT = {
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
}
TEXT = "text/plain"
CSV = "text/csv"
ALLOWED_TYPES = {
    PDF,
    *IMAGES,
    *LEGACY_OFFICE,
    *OOXML.values(),
    *OPEN_DOCUMENT,
    TEXT,
    CSV,
}
# The first bytes of programs: Windows (MZ), Linux (ELF), macOS (Mach-O, fat
# binaries) and scripts (#!).
PROGRAM_SIGNATURES = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)

ALLOWED_DESCRIPTION = _(
    "PDF, office documents (Word, Excel, PowerPoint, OpenDocument), images (PNG, "
    "JPEG, GIF, WebP) or plain text and CSV"
)


# --------------------------------------------------------------------- who may


def parent_field(parent) -> str:
    """The field of ``Document`` that points at ``parent``'s kind of record."""
    return PARENT_FIELDS[type(parent)]


def document_may_manage(user: User, parent) -> bool:
    """Whether ``user`` has the Editor role on ``parent``'s kind of record. The
    caller has read ``parent`` through its access helper (so it is released to
    ``user``); ``document_can_add`` checks that too."""
    if user is None or not user.is_active:
        return False
    return any(user.has_perm(p) for p in PARENT_PERMISSIONS.get(type(parent), ()))


def document_can_add(user: User, parent) -> bool:
    """``user`` may add documents to ``parent`` (and replace or delete its ones)."""
    return document_may_manage(user, parent) and parent.is_visible_to(user)


# ------------------------------------------------------------------- uploads


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    size: int
    content_type: str
    sha256: str


def clean_file_name(name) -> str:
    """The user's file name, safe to show and to offer as the download's name: no
    folders, letters, digits, ``-``, ``_`` and ``.`` only, at most
    ``MAX_NAME_LENGTH`` characters with its extension kept."""
    base = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    try:
        cleaned = get_valid_filename(base)
    except SuspiciousFileOperation:
        cleaned = ""
    cleaned = cleaned.lstrip(".")
    if not cleaned:
        return "document"
    stem, extension = os.path.splitext(cleaned)
    extension = extension[:16]
    return (stem[: MAX_NAME_LENGTH - len(extension)] or "document") + extension


def _refuse(message, code, **params):
    raise ValidationError(message, code=code, params=params or None)


def _is_utf8_text(upload) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in upload.chunks():
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _zip_document_type(upload):
    """The office document type of a zip, or None for any other zip."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                _refuse(
                    _("Office documents with macros cannot be uploaded."),
                    "macros",
                )
            if "[Content_Types].xml" in names:
                for part, content_type in OOXML.items():
                    if part in names:
                        return content_type
                return None
            if "mimetype" in names and "content.xml" in names:
                with archive.open("mimetype") as entry:
                    declared = entry.read(100).decode("ascii", "replace").strip()
                return declared if declared in OPEN_DOCUMENT else None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError):
        return None
    finally:
        upload.seek(0)
    return None


def detect_content_type(upload, name="") -> str:
    """The type of ``upload`` read from its content; ValidationError (with a message
    for the user) when it is not a type documents may have."""
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    if not head:
        _refuse(_("The file is empty."), "empty")
    if head.startswith(PROGRAM_SIGNATURES):
        _refuse(
            _(
                "This file is a program, not a document, whatever its name: "
                "programs cannot be uploaded."
            ),
            "program",
        )
    kind = filetype.guess(head)
    if kind is not None and head.startswith(b"PK\x03\x04"):
        content_type = _zip_document_type(upload)
        if content_type is None:
            _refuse(
                _("This zip archive is not an office document. Allowed: %(allowed)s."),
                "zip",
                allowed=ALLOWED_DESCRIPTION,
            )
        return content_type
    if kind is not None:
        if kind.mime in ALLOWED_TYPES:
            return kind.mime
        _refuse(
            _(
                "Files of this type (%(type)s) cannot be uploaded. Allowed: %(allowed)s."
            ),
            "type",
            type=kind.extension,
            allowed=ALLOWED_DESCRIPTION,
        )
    if _is_utf8_text(upload):
        return CSV if name.lower().endswith(".csv") else TEXT
    _refuse(
        _("This type of file cannot be uploaded. Allowed: %(allowed)s."),
        "type",
        allowed=ALLOWED_DESCRIPTION,
    )


def check_upload(upload) -> CheckedUpload:
    """Everything the portal requires of an uploaded file, or ValidationError."""
    size = upload.size
    if size is None or size > uploads.max_bytes():
        raise ValidationError(uploads.limit_message(), code="too_large")
    name = clean_file_name(getattr(upload, "name", ""))
    content_type = detect_content_type(upload, name)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(
        name=name, size=size, content_type=content_type, sha256=digest.hexdigest()
    )


@contextmanager
def _stored(upload):
    """Store ``upload``'s bytes under a new name, before any transaction: an
    S3-compatible store is another server, and no database lock or transaction is
    held while it is written. Yields the stored name; if what follows fails, the
    file is deleted again, so a refused or failed write leaves no file behind."""
    storage = documents_storage()
    name = storage.save(new_file_name(), upload)
    try:
        yield name
    except BaseException:
        storage.delete(name)
        raise


def _add_version(*, document, stored_name, checked, number, acting_user):
    version = DocumentVersion(
        document=document,
        number=number,
        original_name=checked.name,
        size=checked.size,
        content_type=checked.content_type,
        sha256=checked.sha256,
        uploaded_by=acting_user,
    )
    version.file.name = stored_name
    version.full_clean()
    version.save()
    return version


# -------------------------------------------------------------------- writes


def document_add(
    *,
    parent,
    title: str,
    description: str = "",
    kind: str = Document.Kind.OTHER,
    upload,
    acting_user: User,
) -> Document:
    """Attach ``upload`` to ``parent`` as a new document (its version 1): the file
    is checked and stored first, then the rows are written in one transaction."""
    if not document_can_add(acting_user, parent):
        raise PermissionDenied
    checked = check_upload(upload)
    document = Document(
        title=title,
        description=description,
        kind=kind,
        uploaded_by=acting_user,
        **{parent_field(parent): parent},
    )
    document.full_clean()
    with _stored(upload) as stored_name, transaction.atomic():
        document._history_user = acting_user
        document.save()
        _add_version(
            document=document,
            stored_name=stored_name,
            checked=checked,
            number=1,
            acting_user=acting_user,
        )
        notifications.notify_document_added(document=document, actor=acting_user)
    return document


def document_replace(*, document: Document, upload, acting_user: User):
    """Add a new version of ``document``; the earlier ones are kept. The file is
    checked and stored first; the version is numbered under the document's lock."""
    if not document_can_add(acting_user, document.parent):
        raise PermissionDenied
    checked = check_upload(upload)
    with _stored(upload) as stored_name, transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        if document.deleted_at is not None:
            raise ValidationError(_("This document was deleted."), code="deleted")
        if not document_can_add(acting_user, document.parent):
            raise PermissionDenied
        last = document.versions.aggregate(last=Max("number"))["last"] or 0
        version = _add_version(
            document=document,
            stored_name=stored_name,
            checked=checked,
            number=last + 1,
            acting_user=acting_user,
        )
        notifications.notify_document_added(document=document, actor=acting_user)
    return version


@transaction.atomic
def document_delete(*, document: Document, acting_user: User) -> Document:
    """Delete ``document`` softly: it leaves the pages and its files answer 404, but
    its row, versions and files are kept, and its history records who deleted it."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    if not document_can_add(acting_user, document.parent):
        raise PermissionDenied
    if document.deleted_at is not None:
        return document
    document.deleted_at = timezone.now()
    document.deleted_by = acting_user
    document._history_user = acting_user
    document.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    return document
