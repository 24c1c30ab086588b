"""Documents on meetings, recommendations and initiatives (issue 15, item 1): upload,
download, new versions and soft deletion; who may; what may be uploaded (by content)
and how large; releasability of the files."""

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.test import RequestFactory, override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from cooperation import roles, uploads
from cooperation.models import Document, DocumentVersion
from cooperation.services import documents as document_services
from cooperation.views import documents as document_views
from tests import factories
from tests.factories import MINIMAL_PDF

pytestmark = pytest.mark.django_db

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# ------------------------------------------------------------------ tiny files


def png_bytes():
    """A valid 1×1 PNG."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def zip_bytes(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def docx_bytes():
    """The smallest Word document: its content types, relationship and body."""
    return zip_bytes(
        {
            "[Content_Types].xml": (
                '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org'
                '/package/2006/content-types"><Override PartName="/word/document.xml"'
                f' ContentType="{DOCX}.main+xml"/></Types>'
            ),
            "_rels/.rels": "<Relationships/>",
            "word/document.xml": "<w:document/>",
        }
    )


def odt_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "mimetype",
            "application/vnd.oasis.opendocument.text",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def upload(name, content):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


# -------------------------------------------------------------------- fixtures


def member(user, *names):
    user.groups.add(*Group.objects.filter(name__in=names))
    return user


@pytest.fixture
def editor(colombian_user):
    return member(colombian_user, roles.EDITOR)


@pytest.fixture
def viewer(colombia):
    return member(
        factories.UserFactory(username="col-viewer", nation=colombia), roles.VIEWER
    )


@pytest.fixture
def brazilian(brazilian_user):
    return member(brazilian_user, roles.EDITOR, roles.SCHEDULER)


@pytest.fixture
def recommendation(colombia, editor):
    return factories.RecommendationFactory(
        reference="REC-2026-0101",
        owner=editor,
        released_to_all=False,
        released_to=[colombia],
    )


@pytest.fixture
def withheld_meeting(colombia):
    return factories.AssessmentMeetingFactory(
        title="Meeting withheld from Brazil",
        released_to_all=False,
        released_to=[colombia],
    )


def add(parent, user, *, name="evidence.pdf", content=MINIMAL_PDF, title="Evidence"):
    return document_services.document_add(
        parent=parent,
        title=title,
        description="",
        kind=Document.Kind.EVIDENCE,
        upload=upload(name, content),
        acting_user=user,
    )


def add_url(recommendation):
    return reverse(
        "cooperation:recommendation-document-add", args=[recommendation.reference]
    )


def download_url(document, version=None):
    url = reverse("cooperation:document-download", args=[document.pk])
    return f"{url}?version={version}" if version is not None else url


def body(response):
    return b"".join(response.streaming_content)


# ---------------------------------------------------------------- happy paths


def test_an_editor_uploads_a_pdf_and_sees_it_listed(client, editor, recommendation):
    client.force_login(editor)
    assert not Document.objects.exists()

    response = client.post(
        add_url(recommendation),
        {
            "title": "Signed agreement",
            "kind": Document.Kind.EVIDENCE,
            "description": "Signed in Bogotá.",
            "file": upload("agreement.pdf", MINIMAL_PDF),
        },
    )

    assert response.status_code == 302
    assert response["Location"].endswith(
        recommendation.get_absolute_url() + "#documents"
    )
    document = Document.objects.get()
    assert (document.recommendation, document.uploaded_by) == (recommendation, editor)
    version = document.versions.get()
    assert (version.number, version.original_name, version.size) == (
        1,
        "agreement.pdf",
        len(MINIMAL_PDF),
    )
    assert version.content_type == "application/pdf"
    page = client.get(recommendation.get_absolute_url())
    assert "Signed agreement" in page.text
    assert download_url(document) in page.text
    assert page.context["documents_section"].total == 1


def test_download_streams_the_file_as_a_safe_attachment(client, editor, recommendation):
    document = add(recommendation, editor, name="minutes.pdf")
    client.force_login(editor)

    response = client.get(download_url(document))

    assert response.status_code == 200
    assert body(response) == MINIMAL_PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="minutes.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_write_that_fails_after_the_file_is_stored_leaves_no_file_and_no_row(
    editor, recommendation
):
    root = Path(settings.PORTAL_DOCUMENTS_ROOT)
    files_before = sorted(root.rglob("*")) if root.exists() else []

    with (
        mock.patch.object(
            document_services.notifications,
            "notify_document_added",
            side_effect=RuntimeError("the notification failed"),
        ),
        pytest.raises(RuntimeError),
    ):
        add(recommendation, editor, name="evidence.pdf")

    assert not Document.objects.exists()
    assert not DocumentVersion.objects.exists()
    files_after = sorted(root.rglob("*")) if root.exists() else []
    assert [p for p in files_after if p.is_file()] == [
        p for p in files_before if p.is_file()
    ]


def test_files_are_stored_in_the_documents_storage_never_under_the_users_name(
    editor, recommendation
):
    document = add(recommendation, editor, name="secret-plan.pdf")
    again = add(recommendation, editor, name="secret-plan.pdf")
    version = document.versions.get()

    assert "secret" not in version.file.name
    assert re.fullmatch(r"documents/[0-9a-f]{32}", version.file.name)
    assert again.versions.get().file.name != version.file.name
    stored = Path(settings.PORTAL_DOCUMENTS_ROOT) / version.file.name
    assert stored.read_bytes() == MINIMAL_PDF
    assert not str(stored).startswith(str(settings.BASE_DIR / "private"))


def test_adding_a_document_tells_the_notifications(editor, recommendation):
    with mock.patch(
        "cooperation.services.notifications.notify_document_added"
    ) as notify:
        document = add(recommendation, editor)
        document_services.document_replace(
            document=document, upload=upload("v2.pdf", MINIMAL_PDF), acting_user=editor
        )

    assert notify.call_count == 2
    notify.assert_called_with(document=document, actor=editor)


def test_a_new_version_keeps_the_earlier_ones(client, editor, recommendation):
    document = add(recommendation, editor, name="draft.pdf")
    client.force_login(editor)
    second = MINIMAL_PDF + b"% second\n"

    response = client.post(
        reverse("cooperation:document-replace", args=[document.pk]),
        {"file": upload("final.pdf", second)},
    )

    assert response.status_code == 302
    assert list(document.versions.values_list("number", "original_name")) == [
        (2, "final.pdf"),
        (1, "draft.pdf"),
    ]
    assert body(client.get(download_url(document))) == second
    assert body(client.get(download_url(document, 1))) == MINIMAL_PDF
    assert client.get(download_url(document, 3)).status_code == 404
    assert client.get(download_url(document, "x")).status_code == 404
    page = client.get(recommendation.get_absolute_url())
    assert page.context["documents_section"].documents[0].latest.number == 2


def test_delete_is_soft_and_shown_in_the_records_history(
    client, editor, recommendation
):
    document = add(recommendation, editor, title="Old evidence")
    client.force_login(editor)
    confirm = client.get(reverse("cooperation:document-delete", args=[document.pk]))
    assert confirm.status_code == 200

    response = client.post(reverse("cooperation:document-delete", args=[document.pk]))

    assert response.status_code == 302
    document.refresh_from_db()
    assert document.deleted_at is not None
    assert document.deleted_by == editor
    assert DocumentVersion.objects.filter(document=document).count() == 1
    latest = document.history.latest()
    assert (latest.history_user, latest.deleted_by_id) == (editor, editor.pk)
    assert client.get(download_url(document)).status_code == 404
    page = client.get(recommendation.get_absolute_url())
    assert "Old evidence" not in page.text
    history = client.get(
        reverse("cooperation:recommendation-history", args=[recommendation.reference])
    )
    actions = [event.action for event in history.context["document_events"]]
    assert actions == ["deleted", "added"]
    assert "Document deleted" in history.text
    assert str(editor) in history.text
    # A deleted document is not replaced nor deleted again.
    assert (
        client.post(
            reverse("cooperation:document-replace", args=[document.pk])
        ).status_code
        == 404
    )


def test_documents_of_meetings_and_initiatives_show_on_their_pages(
    client, colombia, superuser
):
    meeting = factories.AssessmentMeetingFactory()
    initiative = factories.InitiativeFactory()
    on_meeting = add(meeting, superuser, title="Read-ahead for the meeting")
    on_initiative = add(initiative, superuser, title="Initiative report")
    client.force_login(superuser)

    meeting_page = client.get(meeting.get_absolute_url())
    initiative_page = client.get(initiative.get_absolute_url())

    assert "Read-ahead for the meeting" in meeting_page.text
    assert "Initiative report" not in meeting_page.text
    assert "Initiative report" in initiative_page.text
    assert on_meeting.meeting == meeting and on_initiative.initiative == initiative
    for parent in (meeting, initiative):
        form = client.get(document_views.add_url(parent))
        assert form.status_code == 200


# -------------------------------------------------------------- who may upload


def test_a_viewer_may_not_upload(client, viewer, recommendation):
    client.force_login(viewer)

    page = client.get(recommendation.get_absolute_url())
    refused_get = client.get(add_url(recommendation))
    refused_post = client.post(
        add_url(recommendation),
        {"title": "x", "kind": "other", "file": upload("a.pdf", MINIMAL_PDF)},
    )

    assert page.context["documents_section"].form is None
    assert add_url(recommendation) not in page.text
    assert refused_get.status_code == 403
    assert refused_post.status_code == 403
    assert not Document.objects.exists()
    with pytest.raises(PermissionDenied):
        add(recommendation, viewer)


def test_editor_role_is_the_change_permission_of_the_parent_record(
    editor, viewer, recommendation, colombia
):
    meeting = factories.AssessmentMeetingFactory()
    initiative = factories.InitiativeFactory()
    scheduler = member(
        factories.UserFactory(username="col-scheduler", nation=colombia),
        roles.SCHEDULER,
    )

    assert document_services.document_can_add(editor, recommendation)
    assert document_services.document_can_add(editor, initiative)
    assert not document_services.document_can_add(scheduler, recommendation)
    assert not document_services.document_can_add(scheduler, initiative)
    # A meeting's documents come from those who plan it and from those who bring
    # their nation's assessment to it.
    assert document_services.document_can_add(scheduler, meeting)
    assert document_services.document_can_add(editor, meeting)
    assert not document_services.document_can_add(viewer, meeting)


# ---------------------------------------------------------------- releasability


def test_a_document_of_a_withheld_record_answers_404_like_a_missing_one(
    client, editor, brazilian, recommendation, withheld_meeting, superuser
):
    on_recommendation = add(recommendation, editor, title="Withheld evidence")
    on_meeting = add(withheld_meeting, superuser, title="Withheld read-ahead")
    client.force_login(brazilian)
    missing = reverse("cooperation:document-download", args=[987654])

    assert client.get(missing).status_code == 404
    for document in (on_recommendation, on_meeting):
        assert client.get(download_url(document)).status_code == 404
        for name in ("cooperation:document-replace", "cooperation:document-delete"):
            url = reverse(name, args=[document.pk])
            assert client.get(url).status_code == 404
            assert client.post(url).status_code == 404
    assert client.post(add_url(recommendation)).status_code == 404
    assert not Document.objects.visible_to(brazilian).exists()
    # The Colombian editor downloads the same file.
    client.force_login(editor)
    assert client.get(download_url(on_recommendation)).status_code == 200


def test_a_records_page_lists_only_its_own_documents(
    client, brazil, brazilian, editor, recommendation
):
    open_recommendation = factories.RecommendationFactory(released_to_all=True)
    add(recommendation, editor, title="Withheld evidence")
    add(open_recommendation, brazilian, title="Open evidence")
    client.force_login(brazilian)

    page = client.get(open_recommendation.get_absolute_url())

    assert "Open evidence" in page.text
    assert "Withheld evidence" not in page.text
    assert page.context["documents_section"].total == 1


def test_a_records_page_shows_at_most_fifty_documents_with_their_count(
    client, editor, recommendation, django_assert_max_num_queries
):
    for _ in range(document_views.DOCUMENTS_SHOWN + 2):
        factories.DocumentFactory(recommendation=recommendation, uploaded_by=editor)
    client.force_login(editor)

    section = client.get(recommendation.get_absolute_url()).context["documents_section"]

    assert len(section.documents) == document_views.DOCUMENTS_SHOWN
    assert section.total == document_views.DOCUMENTS_SHOWN + 2
    assert section.more
    with django_assert_max_num_queries(3):
        document_views.documents_section(editor, recommendation)


# ------------------------------------------------------------ what is accepted


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("report.pdf", MINIMAL_PDF, "application/pdf"),
        ("photo.png", png_bytes(), "image/png"),
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "image/jpeg"),
        ("anim.gif", b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 32, "image/gif"),
        ("pic.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32, "image/webp"),
        ("notes.docx", docx_bytes(), DOCX),
        ("notes.odt", odt_bytes(), "application/vnd.oasis.opendocument.text"),
        ("notes.txt", "Acta firmada en Brasília.\n".encode(), "text/plain"),
        ("table.csv", b"nation,count\nCO,3\n", "text/csv"),
        # The name does not decide: a PDF called .txt is a PDF.
        ("really-a-pdf.txt", MINIMAL_PDF, "application/pdf"),
    ],
)
def test_allowed_types_are_recognised_by_their_content(name, content, content_type):
    checked = document_services.check_upload(upload(name, content))

    assert checked.content_type == content_type
    assert checked.size == len(content)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "is a program"),
        ("report.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "is a program"),
        ("run.txt", b"#!/bin/sh\nrm -rf /\n", "is a program"),
        ("notes.docx", zip_bytes({"notes.txt": "hello"}), "not an office document"),
        (
            "notes.docx",
            zip_bytes({"[Content_Types].xml": "<Types/>", "evil.exe": "MZ"}),
            "not an office document",
        ),
        (
            "macro.docx",
            zip_bytes(
                {
                    "[Content_Types].xml": "<Types/>",
                    "word/document.xml": "<w/>",
                    "word/vbaProject.bin": "x",
                }
            ),
            "with macros",
        ),
        ("notes.txt", b"text with a \x00 NUL", "cannot be uploaded"),
        ("notes.txt", b"caf\xe9 latin-1", "cannot be uploaded"),
        ("empty.pdf", b"", "is empty"),
        ("song.mp3", b"ID3\x03\x00\x00\x00" + b"\x00" * 64, "(mp3) cannot be uploaded"),
    ],
)
def test_other_content_is_refused_with_a_clear_message(name, content, message):
    with pytest.raises(ValidationError) as refused:
        document_services.check_upload(upload(name, content))

    assert message in " ".join(refused.value.messages)


def test_a_disguised_executable_is_refused_on_the_page_and_nothing_is_kept(
    client, editor, recommendation
):
    client.force_login(editor)

    response = client.post(
        add_url(recommendation),
        {
            "title": "Quarterly report",
            "kind": Document.Kind.REPORT,
            "file": upload("report.pdf", b"MZ\x90\x00" + b"\x00" * 4096),
        },
    )

    assert response.status_code == 400
    assert "This file is a program, not a document" in response.text
    assert 'value="Quarterly report"' in response.text
    assert not Document.objects.exists()
    assert not DocumentVersion.objects.exists()


def test_file_names_are_sanitised_and_capped():
    clean = document_services.clean_file_name

    assert clean("../../etc/pass wd<script>.pdf") == "pass_wdscript.pdf"
    assert clean("C:\\Users\\me\\Informe final.pdf") == "Informe_final.pdf"
    assert clean("Relatório técnico.docx") == "Relatório_técnico.docx"
    assert clean("..") == "document"
    assert clean(".htaccess") == "htaccess"
    long = clean("a" * 400 + ".pdf")
    assert len(long) == document_services.MAX_NAME_LENGTH
    assert long.endswith(".pdf")


def test_an_unsafe_file_name_is_offered_sanitised_in_the_download(
    client, editor, recommendation
):
    document = add(recommendation, editor, name='x";\r\nSet-Cookie: a=b.pdf')
    client.force_login(editor)

    response = client.get(download_url(document))

    assert document.versions.get().original_name == "xSet-Cookie_ab.pdf"
    assert (
        response["Content-Disposition"] == 'attachment; filename="xSet-Cookie_ab.pdf"'
    )
    assert "Set-Cookie" not in response.cookies


# ------------------------------------------------------------------- the size


def _multipart(fields, file_size):
    data = encode_multipart(
        BOUNDARY,
        {**fields, "file": SimpleUploadedFile("big.pdf", b"%PDF" + b"x" * file_size)},
    )
    return data


class CountingStream(io.BytesIO):
    """A request body that counts what the parser reads of it."""

    def __init__(self, data):
        super().__init__(data)
        self.read_bytes = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.read_bytes += len(chunk)
        return chunk


def _parse(data):
    request = RequestFactory().post("/")
    stream = CountingStream(data)
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(data))}
    handlers = [
        uploads.DocumentSizeLimitHandler(request),
        MemoryFileUploadHandler(request),
    ]
    post, files = MultiPartParser(meta, stream, handlers).parse()
    return request, stream, post, files


@override_settings(PORTAL_DOCUMENT_MAX_BYTES=100 * 1024)
def test_a_body_announced_too_large_is_refused_without_reading_it():
    data = _multipart({"title": "Big"}, 400 * 1024)

    request, stream, post, files = _parse(data)

    assert getattr(request, uploads.REFUSED_ATTRIBUTE) is True
    assert stream.read_bytes == 0
    assert not files and not post


@override_settings(PORTAL_DOCUMENT_MAX_BYTES=100 * 1024)
def test_a_file_past_the_limit_is_skipped_while_it_arrives():
    # The body fits the limit and the room for fields, the file alone does not.
    data = _multipart({"title": "Big"}, 130 * 1024)

    request, stream, post, files = _parse(data)

    assert getattr(request, uploads.REFUSED_ATTRIBUTE) is True
    assert "file" not in files
    assert post["title"] == "Big"


@override_settings(PORTAL_DOCUMENT_MAX_BYTES=100 * 1024)
def test_a_file_within_the_limit_passes_the_handler():
    data = _multipart({"title": "Small"}, 50 * 1024)

    request, stream, post, files = _parse(data)

    assert not getattr(request, uploads.REFUSED_ATTRIBUTE, False)
    assert files["file"].size == 50 * 1024 + 4


@pytest.mark.parametrize("file_size", [300 * 1024, 20 * 1024])
@override_settings(PORTAL_DOCUMENT_MAX_BYTES=10 * 1024)
def test_an_oversized_upload_is_answered_413_with_the_limit(
    client, editor, recommendation, file_size
):
    client.force_login(editor)

    response = client.post(
        add_url(recommendation),
        {
            "title": "Too big",
            "kind": Document.Kind.EVIDENCE,
            "file": SimpleUploadedFile("big.pdf", b"%PDF" + b"x" * file_size),
        },
    )

    assert response.status_code == 413
    assert "The file is larger than the 10 KB limit." in response.text
    assert not Document.objects.exists()


@override_settings(PORTAL_DOCUMENT_MAX_BYTES=10 * 1024)
def test_an_oversized_new_version_is_refused_too(client, editor, recommendation):
    document = add(recommendation, editor)
    client.force_login(editor)

    response = client.post(
        reverse("cooperation:document-replace", args=[document.pk]),
        {"file": SimpleUploadedFile("big.pdf", b"%PDF" + b"x" * 300 * 1024)},
    )

    assert response.status_code == 413
    assert document.versions.count() == 1


def test_the_default_limit_is_25_mb_and_said_so():
    assert settings.PORTAL_DOCUMENT_MAX_BYTES == 25 * 1024 * 1024
    assert uploads.limit_message() == "The file is larger than the 25 MB limit."
    assert uploads.size_label(1536 * 1024) == "1.5 MB"


def test_the_service_checks_the_size_for_callers_without_a_request(
    editor, recommendation
):
    with (
        override_settings(PORTAL_DOCUMENT_MAX_BYTES=16),
        pytest.raises(ValidationError) as refused,
    ):
        add(recommendation, editor)

    assert refused.value.code == "too_large"
