"""Briefings rendered as PDF by WeasyPrint (system libraries: Pango; see README).

The PDF is the print page's own content (``templates/includes/_briefing.html``) and
stylesheet (``static/css/briefing.css``), so paper and PDF agree. WeasyPrint fetches
nothing: every URL in the document is refused, so no text a user wrote can make the
worker read a file or call a server.
"""

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation

STYLESHEET = "css/briefing.css"


class FetchRefused(ValueError):
    pass


def refuse_fetch(url, *args, **kwargs):
    raise FetchRefused(f"A briefing loads nothing from outside: {url}")


def briefing_html(content) -> str:
    return render_to_string(
        "cooperation/briefing_pdf.html",
        {"briefing": content, "LANGUAGE_CODE": translation.get_language()},
    )


def briefing_pdf(content) -> tuple[bytes, int]:
    """The PDF of a briefing's ``content`` and its number of pages."""
    import weasyprint  # a heavy import, needed by the worker only

    path = finders.find(STYLESHEET)
    stylesheet = weasyprint.CSS(filename=path, url_fetcher=refuse_fetch)
    document = weasyprint.HTML(
        string=briefing_html(content), url_fetcher=refuse_fetch, base_url=None
    ).render(stylesheets=[stylesheet])
    return document.write_pdf(), len(document.pages)
