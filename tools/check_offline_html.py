"""Fail if the built book loads anything from the network.

The book must work from `_build/html` with no connection. This scans every HTML page for scripts,
stylesheets, fonts, images and frames whose address is remote (`http://`, `https://` or `//`), and every
CSS file for remote `url(...)` and `@import`. Links a reader clicks (`<a href>`) are fine. Exit status 0
when nothing remote is loaded, 1 otherwise (each page and address is listed), 2 when there is no build.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

REMOTE = re.compile(r"^(?:https?:)?//", re.IGNORECASE)
CSS_REMOTE = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])((?:https?:)?//[^'")\s]+)""", re.IGNORECASE)
# <link rel=...> values that make the browser fetch the address on page load.
FETCHING_RELS = {"stylesheet", "preload", "modulepreload", "icon", "shortcut", "manifest", "prefetch"}


class _AssetFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.remote: list[str] = []
        self.in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_style = tag == "style"
        a = {name: value or "" for name, value in attrs}
        if tag == "link":
            rels = set(a.get("rel", "").lower().split())
            addresses = [a.get("href", "")] if rels & FETCHING_RELS else []
        else:
            addresses = [a.get(name, "") for name in ("src", "data", "poster") if name in a]
            addresses += [part.split()[0] for part in a.get("srcset", "").split(",") if part.strip()]
        self.remote += [f"<{tag}> {address}" for address in addresses if REMOTE.match(address.strip())]

    def handle_endtag(self, tag: str) -> None:
        self.in_style = False

    def handle_data(self, data: str) -> None:
        if self.in_style:
            self.remote += [f"<style> {address}" for address in CSS_REMOTE.findall(data)]


def remote_assets(site: Path) -> dict[Path, list[str]]:
    found: dict[Path, list[str]] = defaultdict(list)
    for page in sorted(site.rglob("*.html")):
        finder = _AssetFinder()
        finder.feed(page.read_text(encoding="utf-8", errors="replace"))
        if finder.remote:
            found[page.relative_to(site)] = finder.remote
    for sheet in sorted(site.rglob("*.css")):
        hits = CSS_REMOTE.findall(sheet.read_text(encoding="utf-8", errors="replace"))
        if hits:
            found[sheet.relative_to(site)] = [f"url {hit}" for hit in hits]
    return found


def main(argv: list[str]) -> int:
    site = Path(argv[1] if len(argv) > 1 else "_build/html")
    if not (site / "index.html").is_file():
        print(f"check_offline_html: no built book in {site}", file=sys.stderr)
        return 2
    found = remote_assets(site)
    if found:
        print(f"{len(found)} file(s) in {site} load assets from the network:")
        for name, addresses in found.items():
            for address in sorted(set(addresses)):
                print(f"  {name}: {address}")
        return 1
    pages = sum(1 for _ in site.rglob("*.html"))
    print(f"check_offline_html: {pages} page(s) in {site}, nothing loaded from the network")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
