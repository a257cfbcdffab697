"""PEP 503 "simple" project pages: reading an index's links, writing a directory index.

Only the HTML form is handled: pypiserver answers HTML even when asked for
the PEP 691 JSON form, and pip reads HTML from every index.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit


@dataclass(frozen=True)
class IndexLink:
    """One file listed on a project page: its name, absolute URL and fragment hashes."""

    filename: str
    url: str
    hashes: dict[str, str] = field(default_factory=dict)

    @property
    def sha256(self) -> str | None:
        return self.hashes.get("sha256")


class _AnchorCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def parse_project_page(text: str, page_url: str) -> list[IndexLink]:
    """The file links of a PEP 503 project page; relative links resolve against page_url."""
    collector = _AnchorCollector()
    collector.feed(text)
    collector.close()
    links = (_link(href, page_url) for href in collector.hrefs)
    return [link for link in links if link is not None]


def _link(href: str, page_url: str) -> IndexLink | None:
    """The link an anchor names; None for an href that is not a URL (a page is server text, not trusted)."""
    try:
        url = urljoin(page_url, href)
    except ValueError:
        return None
    parts = urlsplit(url)
    # PEP 503: the anchor text must equal the final path component, so the
    # URL alone names the file; the fragment carries `<algorithm>=<hex digest>`.
    filename = unquote(PurePosixPath(parts.path).name)
    hashes = dict([parts.fragment.split("=", 1)]) if "=" in parts.fragment else {}
    return IndexLink(filename, parts._replace(fragment="").geturl(), hashes)


def render_project_page(project: str, files: Iterable[tuple[str, str]]) -> str:
    """A PEP 503 project page listing (filename, sha256) pairs as relative links."""
    links = [f'    <a href="{html.escape(name)}#sha256={digest}">{html.escape(name)}</a><br>' for name, digest in files]
    return _page(f"Links for {project}", links)


def render_root_page(projects: Iterable[str]) -> str:
    """The PEP 503 root page listing every project directory."""
    links = [f'    <a href="{html.escape(p)}/">{html.escape(p)}</a><br>' for p in projects]
    return _page("Simple index", links)


def _page(title: str, links: list[str]) -> str:
    head = (
        '<!DOCTYPE html>\n<html>\n  <head>\n    <meta name="pypi:repository-version" content="1.0">\n'
        f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n"
    )
    return head + "\n".join(links) + "\n  </body>\n</html>\n"
