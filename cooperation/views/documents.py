"""Documents: the section on each record's page, upload, new version, delete and
the download that checks releasability.

A document follows its parent record: it answers 404 wherever its parent would
(``access.get_document_for``), and a deleted one answers 404 too. Files are streamed
from the ``documents`` storage as attachments, never served as static or media.
"""

from dataclasses import dataclass
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from cooperation import uploads
from cooperation.forms.documents import DocumentForm, FileOnlyForm
from cooperation.models import (
    AssessmentMeeting,
    Document,
    DocumentVersion,
    Initiative,
    Recommendation,
)
from cooperation.services import documents as document_services

from .access import (
    get_document_for,
    get_initiative_for,
    get_meeting_for,
    get_recommendation_for,
)

# The documents a record's page lists; the count says how many there are in all.
DOCUMENTS_SHOWN = 50
# The document events a record's history page lists.
EVENTS_SHOWN = 50
# The kind a new document starts with, by its parent.
DEFAULT_KIND = {
    AssessmentMeeting: Document.Kind.READ_AHEAD,
    Recommendation: Document.Kind.EVIDENCE,
    Initiative: Document.Kind.REPORT,
}
SECTIONS = {
    AssessmentMeeting: (_("Meetings"), "cooperation:meeting-list"),
    Recommendation: (_("Recommendations"), "cooperation:recommendation-list"),
    Initiative: (_("Initiatives"), "cooperation:initiative-list"),
}


def add_url(parent):
    if isinstance(parent, Recommendation):
        return reverse(
            "cooperation:recommendation-document-add", args=[parent.reference]
        )
    name = {
        AssessmentMeeting: "cooperation:meeting-document-add",
        Initiative: "cooperation:initiative-document-add",
    }[type(parent)]
    return reverse(name, args=[parent.pk])


# ------------------------------------------------------------------ the section


@dataclass
class DocumentsSection:
    parent: object
    documents: list
    total: int
    can_manage: bool
    add_url: str
    form: object

    @property
    def more(self):
        return self.total > len(self.documents)


def documents_section(user, parent, *, form=None):
    """The "Documents" section of ``parent``'s page (read through its access
    helper): its current documents, newest first, each with its latest version, in
    two queries (one when it has none), and the upload form for its Editors."""
    documents = (
        Document.objects.filter(**{document_services.parent_field(parent): parent})
        .current()
        .select_related("uploaded_by")
    )
    latest = (
        DocumentVersion.objects.filter(document=OuterRef("pk"))
        .order_by("-number")
        .values("pk")[:1]
    )
    rows = list(
        documents.annotate(latest_version_id=Subquery(latest))[: DOCUMENTS_SHOWN + 1]
    )
    total = len(rows) if len(rows) <= DOCUMENTS_SHOWN else documents.count()
    rows = rows[:DOCUMENTS_SHOWN]
    versions = (
        DocumentVersion.objects.select_related("uploaded_by").in_bulk(
            [row.latest_version_id for row in rows if row.latest_version_id]
        )
        if rows
        else {}
    )
    for row in rows:
        row.latest = versions.get(row.latest_version_id)
    can_manage = document_services.document_may_manage(user, parent)
    if can_manage and form is None:
        form = DocumentForm(kind=DEFAULT_KIND[type(parent)])
    return DocumentsSection(
        parent=parent,
        documents=rows,
        total=total,
        can_manage=can_manage,
        add_url=add_url(parent),
        form=form if can_manage else None,
    )


# ------------------------------------------------------------ the history events


@dataclass
class DocumentEvent:
    when: object
    author: object
    action: str  # "added", "replaced", "deleted" or "changed"
    title: str
    file_name: str = ""
    number: int | None = None

    @property
    def label(self):
        return {
            "added": _("Document added"),
            "replaced": _("New version of a document"),
            "deleted": _("Document deleted"),
            "changed": _("Document changed"),
        }[self.action]


def document_events(record, *, limit=EVENTS_SHOWN):
    """What happened to ``record``'s documents, newest first: added, new versions
    and deletions (soft: the document stays in its history), in two queries."""
    field = document_services.PARENT_FIELDS.get(type(record))
    if field is None:
        return []
    history = (
        Document.history.filter(**{f"{field}_id": record.pk})
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[: limit * 2]
    )
    rows = list(history)
    rows.reverse()  # oldest first, to tell a deletion from the rows before it
    first_versions = {}
    versions = list(
        DocumentVersion.objects.filter(**{f"document__{field}": record})
        .select_related("uploaded_by", "document")
        .order_by("-uploaded_at", "-pk")[:limit]
    )
    for version in versions:
        if version.number == 1:
            first_versions[version.document_id] = version.original_name
    events = []
    deleted = {}
    for row in rows:
        if row.history_type == "+":
            action = "added"
        elif row.deleted_at is not None and deleted.get(row.id) is None:
            action = "deleted"
        else:
            action = "changed"
        deleted[row.id] = row.deleted_at
        events.append(
            DocumentEvent(
                when=row.history_date,
                author=row.history_user,
                action=action,
                title=row.title,
                file_name=first_versions.get(row.id, "") if action == "added" else "",
            )
        )
    for version in versions:
        if version.number > 1:
            events.append(
                DocumentEvent(
                    when=version.uploaded_at,
                    author=version.uploaded_by,
                    action="replaced",
                    title=version.document.title,
                    file_name=version.original_name,
                    number=version.number,
                )
            )
    events.sort(key=lambda event: event.when, reverse=True)
    return events[:limit]


# ------------------------------------------------------------------ uploading


def upload_view(view):
    """Wrap an upload view: a request whose file was refused for its size
    (``cooperation.uploads``) is answered by the view with ``refused`` (a 413 page
    that changes nothing) before the CSRF check, whose token may be in the part of
    the body that was never read; every other request is CSRF-checked as usual."""
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST" and uploads.limit_exceeded(request):
            return view(request, *args, refused=uploads.limit_message(), **kwargs)
        return protected(request, *args, **kwargs)

    return wrapper


def _form_page(request, *, parent, form, document=None, status=200):
    section_label, section_url = SECTIONS[type(parent)]
    return render(
        request,
        "cooperation/document_form.html",
        {
            "parent": parent,
            "document": document,
            "form": form,
            "section_label": section_label,
            "section_url": section_url,
            "max_size": uploads.size_label(uploads.max_bytes()),
        },
        status=status,
    )


def _refused_form(form_class, request, refused, **kwargs):
    """The form after a refusal for the size: the fields that arrived, with the
    message on the file (or alone, when nothing of the body was read)."""
    data = request.POST if request.POST else None
    form = form_class(data, refused=refused, **kwargs)
    if data is None:
        form.refusal = refused
    return form


def _add_document(request, parent, *, refused=None):
    if not document_services.document_may_manage(request.user, parent):
        raise PermissionDenied
    kind = DEFAULT_KIND[type(parent)]
    if refused:
        form = _refused_form(DocumentForm, request, refused, kind=kind)
        return _form_page(request, parent=parent, form=form, status=413)
    if request.method != "POST":
        return _form_page(request, parent=parent, form=DocumentForm(kind=kind))
    form = DocumentForm(request.POST, request.FILES, kind=kind)
    if form.is_valid():
        data = form.cleaned_data
        try:
            document = document_services.document_add(
                parent=parent,
                title=data["title"],
                description=data["description"],
                kind=data["kind"],
                upload=data["file"],
                acting_user=request.user,
            )
        except ValidationError as error:
            form.add_error("file" if not hasattr(error, "error_dict") else None, error)
        else:
            messages.success(
                request,
                gettext("The document “%(title)s” was added.")
                % {"title": document.title},
            )
            return redirect(f"{parent.get_absolute_url()}#documents")
    return _form_page(request, parent=parent, form=form, status=400)


@require_http_methods(["GET", "POST"])
@upload_view
def meeting_document_add(request, pk, refused=None):
    return _add_document(request, get_meeting_for(request.user, pk), refused=refused)


@require_http_methods(["GET", "POST"])
@upload_view
def recommendation_document_add(request, reference, refused=None):
    recommendation = get_recommendation_for(request.user, reference)
    return _add_document(request, recommendation, refused=refused)


@require_http_methods(["GET", "POST"])
@upload_view
def initiative_document_add(request, pk, refused=None):
    initiative = get_initiative_for(request.user, pk)
    return _add_document(request, initiative, refused=refused)


def _managed_document(request, pk):
    document = get_document_for(request.user, pk)
    if not document_services.document_may_manage(request.user, document.parent):
        raise PermissionDenied
    return document


@require_http_methods(["GET", "POST"])
@upload_view
def document_replace(request, pk, refused=None):
    document = _managed_document(request, pk)
    parent = document.parent
    if refused:
        form = _refused_form(FileOnlyForm, request, refused)
        return _form_page(
            request, parent=parent, form=form, document=document, status=413
        )
    if request.method != "POST":
        return _form_page(
            request, parent=parent, form=FileOnlyForm(), document=document
        )
    form = FileOnlyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            version = document_services.document_replace(
                document=document,
                upload=form.cleaned_data["file"],
                acting_user=request.user,
            )
        except ValidationError as error:
            form.add_error("file" if not hasattr(error, "error_dict") else None, error)
        else:
            messages.success(
                request,
                gettext("Version %(number)s of “%(title)s” was added.")
                % {"number": version.number, "title": document.title},
            )
            return redirect(f"{parent.get_absolute_url()}#documents")
    return _form_page(request, parent=parent, form=form, document=document, status=400)


@require_http_methods(["GET", "POST"])
def document_delete(request, pk):
    document = _managed_document(request, pk)
    parent = document.parent
    if request.method == "POST":
        document_services.document_delete(document=document, acting_user=request.user)
        messages.success(
            request,
            gettext("The document “%(title)s” was deleted. It stays in the history.")
            % {"title": document.title},
        )
        return redirect(f"{parent.get_absolute_url()}#documents")
    section_label, section_url = SECTIONS[type(parent)]
    return render(
        request,
        "cooperation/document_confirm_delete.html",
        {
            "parent": parent,
            "document": document,
            "section_label": section_label,
            "section_url": section_url,
        },
    )


# ------------------------------------------------------------------ downloading


@require_GET
def document_download(request, pk):
    """The file of the document's latest version, or of ``?version=N``, as an
    attachment under its sanitised original name; 404 unless the document's parent
    is released to the user and the document is not deleted."""
    document = get_document_for(request.user, pk)
    versions = document.versions.all()
    requested = request.GET.get("version")
    if requested is not None:
        if not requested.isdigit() or len(requested) > 9:
            raise Http404
        versions = versions.filter(number=int(requested))
    version = versions.order_by("-number").first()
    if version is None:
        raise Http404
    try:
        stream = version.file.storage.open(version.file.name, "rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(
        stream,
        as_attachment=True,
        filename=version.original_name,
        content_type=(
            f"{version.content_type}; charset=utf-8"
            if version.content_type.startswith("text/")
            else version.content_type
        ),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
