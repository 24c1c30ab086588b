"""Every page is reachable from the dashboard, and no link leads to an error."""

import io
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

MAX_PAGES = 3000


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _internal_links(base_url, html):
    parser = _Links()
    parser.feed(html)
    for href in parser.hrefs:
        url, _fragment = urldefrag(urljoin(base_url, href))
        parts = urlsplit(url)
        if parts.scheme in {"mailto", "tel", "javascript"}:
            continue
        if parts.netloc and parts.netloc != "testserver":
            continue
        if not parts.path:
            continue
        params = {pair.split("=", 1)[0] for pair in parts.query.split("&") if pair}
        if "sort" in params and params - {"sort", "page"}:
            # Sorting a filtered list repeats pages already checked unfiltered.
            continue
        yield parts.path + (f"?{parts.query}" if parts.query else "")


def crawl(client, start="/"):
    """Breadth-first over every link of every HTML page; returns {url: status}."""
    seen = {start: None}
    queue = [start]
    while queue:
        url = queue.pop(0)
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code != 200 or len(seen) > MAX_PAGES:
            continue
        if not response["Content-Type"].startswith("text/html"):
            continue
        for link in _internal_links(
            "http://testserver" + url, response.content.decode()
        ):
            if link not in seen:
                seen[link] = None
                queue.append(link)
    return seen


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--with-demo-accounts", stdout=io.StringIO())


@pytest.mark.parametrize("username", ["colombia", "brazil"])
def test_every_link_on_every_page_reachable_as_demo_user_works(client, demo, username):
    assert client.login(username=username, password="demo-pass-2026")

    statuses = crawl(client)

    assert len(statuses) <= MAX_PAGES, "crawl did not finish: too many distinct URLs"
    broken = {url: status for url, status in statuses.items() if status >= 400}
    assert broken == {}
    paths = {urlsplit(url).path for url in statuses}
    for section in ("/nations/", "/initiatives/", "/meetings/", "/recommendations/"):
        assert section in paths, f"{section} is not reachable from the dashboard"
    # Detail pages of each kind were reached too.
    for prefix in ("/nations/", "/initiatives/", "/meetings/", "/recommendations/"):
        assert any(p.startswith(prefix) and p != prefix for p in paths), prefix
