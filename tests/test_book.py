"""Checks of the built book in _build/html (`make test` builds it first with warnings as errors), in each of
its editions: the English one in _build/html and the Chinese one in _build/html/zh.

Rendering is checked in headless Chromium with the network unused: the math must be typeset by the
book's own MathJax and every image must load.
"""

import json
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.book  # reads the built book: `make book` first

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
# Every edition, in its folder of the built book (book_editions in _config.yml): the English one is SITE itself.
EDITIONS = {language: SITE / edition["folder"] for language, edition in
            yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]["book_editions"].items()}
sys.path.insert(0, str(ROOT / "tools"))
from check_offline_html import remote_assets  # noqa: E402

# Markers nbgrader puts in source notebooks; none may reach the published book.
SECRET_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--virtual-time-budget=20000", "--run-all-compositor-stages-before-draw"]

# Appended to a copy of a page: once everything has loaded (MathJax included), record what a reader sees.
PROBE = """<script>
window.addEventListener('load', () => (window.MathJax && MathJax.startup ? MathJax.startup.promise
                                      : Promise.resolve()).then(() => {
  const broken = [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src);
  const report = {images: document.images.length, broken: broken,
                  math: document.querySelectorAll('mjx-container').length,
                  errors: document.querySelectorAll('mjx-merror').length,
                  scriptErrors: window.__scriptErrors || []};
  document.body.setAttribute('data-probe', JSON.stringify(report));
}));
</script>"""

# Put first in a page's <head>: records every uncaught script error of the page.
ERRORS = ("<script>window.__scriptErrors = []; window.addEventListener('error', "
          "e => window.__scriptErrors.push(e.message));</script>")

# Display equations that scroll sideways: their container is wider inside than the column shows.
OVERFLOW_PROBE = """<script>
window.addEventListener('load', () => (window.MathJax && MathJax.startup ? MathJax.startup.promise
                                      : Promise.resolve()).then(() => {
  const wide = [...document.querySelectorAll('mjx-container[display="true"]')]
    .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.slice(0, 60));
  document.body.setAttribute('data-probe', JSON.stringify({wide: wide}));
}));
</script>"""


def toc_pages():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part["chapters"]:
            pages.append(chapter["file"])
            pages += [s["file"] for s in chapter.get("sections", [])]
    return pages


@pytest.fixture(scope="module", params=sorted(EDITIONS))
def site(request):
    site = EDITIONS[request.param]
    if not (site / "index.html").exists():
        pytest.fail(f"{site.relative_to(ROOT)} is missing: run `make book` (or `make test`, which builds it) first")
    return site


def test_every_page_of_the_toc_is_built(site):
    missing = [p for p in toc_pages() if not (site / f"{Path(p).with_suffix('')}.html").exists()]
    assert not missing, f"pages listed in _toc.yml but not built: {missing}"


def test_no_solution_or_hidden_test_reaches_the_site(site):
    leaks = []
    for path in site.rglob("*"):
        rel = path.relative_to(site).as_posix()
        if re.search(r"(^|/)(solutions|source|autograded|submitted)(/|$)", rel):
            leaks.append(rel)
        elif path.is_file() and path.suffix in {".html", ".txt", ".ipynb", ".md", ".py", ".js"}:
            text = path.read_text(encoding="utf-8", errors="replace")
            leaks += [f"{rel}: {m}" for m in SECRET_MARKERS if m in text]
    assert not leaks, "solution material in the built book:\n" + "\n".join(leaks)


def test_nothing_is_loaded_from_the_network(site):
    assert remote_assets(site) == {}


def test_repository_buttons_follow_the_configured_url(site):
    """repository.url in _config.yml is the one setting: buttons to it when set, no buttons when empty."""
    html = (site / "intro.html").read_text()
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = (config.get("repository") or {}).get("url") or ""
    assert "executablebooks/jupyter-book" not in html
    if url:
        assert url in html
    else:
        assert "github.com" not in html and "Source repository" not in html and "Open an issue" not in html


def test_only_the_book_s_own_pages_are_published(site):
    """No leftover of a check (a probe copy of a page) or any other stray page reaches the site."""
    stray = sorted(p.relative_to(site).as_posix() for p in site.rglob("_probe_*"))
    assert not stray, f"stray files in the built book: {stray}"


def render(page, probe=PROBE, width=None):
    """Load `page` in headless Chromium and return what `probe` recorded.

    The probe runs in a copy of the page written to a temporary folder (never into the site, which is
    published as it is); a <base> element makes the copy load the page's own assets.
    """
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed: `apt-get install chromium` (.ci/run does this)")
    html = page.read_text().replace("<head>", f'<head><base href="{page.parent.as_uri()}/">{ERRORS}', 1)
    window = [f"--window-size={width},2400"] if width else []
    with tempfile.TemporaryDirectory() as tmp:
        probe_page = Path(tmp) / page.name
        probe_page.write_text(html.replace("</body>", probe + "</body>"))
        dom = subprocess.run([chromium, *CHROMIUM_FLAGS, *window, f"--user-data-dir={tmp}/profile", "--dump-dom",
                              probe_page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'data-probe="([^"]*)"', dom)
    assert found, f"the page did not finish loading in Chromium: {page}"
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def test_math_renders_and_images_load_offline(site):
    """Every page of the book, in Chromium: MathJax typesets without errors and every image loads."""
    reports = {page: render(site / f"{Path(page).with_suffix('')}.html") for page in toc_pages()}
    problems = {page: r for page, r in reports.items() if r["errors"] or r["broken"] or r["scriptErrors"]}
    assert not problems, f"pages with MathJax errors, broken images or script errors: {problems}"
    assert reports["notation"]["math"] > 0, "the notation page shows no typeset math"
    chapters = [page for page in reports if page.startswith("chapters/")]
    assert chapters and all(reports[page]["math"] > 0 and reports[page]["images"] > 0 for page in chapters), \
        {page: reports[page] for page in chapters}


def test_display_equations_fit_a_laptop_screen(site):
    """At a window 1280 px wide no display equation of a chapter or a reference page scrolls sideways."""
    pages = [page for page in toc_pages() if not page.startswith("exercises/")]
    wide = {page: r["wide"] for page in pages
            if (r := render(site / f"{Path(page).with_suffix('')}.html", OVERFLOW_PROBE, width=1280))["wide"]}
    assert not wide, f"display equations wider than the page at 1280 px: {wide}"


def images(site):
    """(page, src, alt, figure id) of every <img> of every page of the book; alt is None when it has none."""
    found = []
    for page in toc_pages():
        html = (site / f"{Path(page).with_suffix('')}.html").read_text()
        for figure_id, img in re.findall(r'(?:<figure[^>]*id="([^"]*)"[^>]*>\s*(?:<a[^>]*>\s*)?)?(<img\b[^>]*>)', html):
            src = re.search(r'\bsrc="([^"]*)"', img).group(1)
            alt = re.search(r'\balt="([^"]*)"', img)
            found.append((page, src, alt.group(1) if alt else None, figure_id))
    return found


def words(text):
    """Words of an English text, or about as many for a Chinese one (a word is two characters on average)."""
    return len(text.split()) + len(re.findall(r"[\u4e00-\u9fff]", text)) // 2


def test_every_image_has_alt_text_that_describes_it(site):
    """Every image of the book has an alt text: not missing, not empty, not a file name or path (which is
    what a figure gets when its cell sets none: `mystnb: image: alt:` sets it), and at least a sentence."""
    found = images(site)
    assert any(page.startswith("chapters/") for page, *_ in found)
    bad = [(page, src, alt) for page, src, alt, _ in found
           if not alt or "/" in alt or re.search(r"\.(svg|png|jpe?g|gif)\b", alt, re.I) or words(alt) < 8]
    assert not bad, "images without an alt text that describes them:\n" + "\n".join(map(str, bad))


COLUMN_PROBE = """<script>
window.addEventListener('load', () => {
  const widths = [...document.images].map(i => i.getBoundingClientRect().width);
  document.body.setAttribute('data-probe', JSON.stringify({client: document.documentElement.clientWidth,
                                                           widest: Math.max(...widths)}));
});
</script>"""

SCALE = re.compile(r"scale\(([-\d.e]+)[ ,]+([-\d.e]+)\)")


def smallest_text_pt(svg):
    """(width of the viewBox, size of its smallest text), both in the SVG's own units (pt for matplotlib).

    matplotlib draws text as glyph paths inside `<g transform="translate(x y) scale(s -s)">`, s = size / 100;
    the mathematical sub- and superscripts inside it (scaled a further 0.7) are not counted.
    """
    root = ET.fromstring(svg.read_bytes())
    sizes = [100 * float(m.group(1)) for g in root.iter("{http://www.w3.org/2000/svg}g")
             if (m := SCALE.search(g.get("transform") or "")) and float(m.group(2)) < 0]
    return float(root.get("viewBox").split()[2]), min(sizes, default=float("inf"))


def test_figure_text_is_legible_on_a_phone(site):
    """Shown in the column of a phone 390 px wide, no figure's text is smaller than 8 px; on a laptop
    (1280 px) none is smaller than 11 px. This holds for the diagrams drawn to a fixed scale too
    (rnnbook.diagrams), whose text is sized for it.

    A figure is shown at its own width (its SVG's width, pt * 4/3 px) or the column's, whichever is smaller,
    so its text is size * shown width / viewBox width px. The column is measured in Chromium, at a window of
    500 px (the narrowest headless Chromium opens; a phone has the same margins) and of 1280 px.
    """
    chapter = site / "chapters" / "09_lstm.html"
    narrow, laptop = render(chapter, COLUMN_PROBE, width=500), render(chapter, COLUMN_PROBE, width=1280)
    phone_column = 390 - (narrow["client"] - narrow["widest"])  # the same margins as at 500 px
    small = []
    for page, src, _, figure_id in images(site):
        if not src.endswith(".svg"):
            continue
        path = (site / Path(page).parent / src).resolve()
        box, size = smallest_text_pt(path)
        own = box * 4 / 3  # px: matplotlib's SVG width is the viewBox width in pt
        for column, floor in ((phone_column, 8), (laptop["widest"], 11)):
            px = size * min(own, column) / box
            if px < floor:
                small.append(f"{page} {figure_id or src}: {px:.1f} px in a column of {column:.0f} px")
    assert not small, "figure text too small to read:\n" + "\n".join(small)
