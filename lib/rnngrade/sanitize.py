"""No script a student wrote may run in an instructor's browser: SanitizeOutputs cleans what a notebook
shows (markdown and raw cells, their attachments, every output) before formgrader, Jupyter or the feedback
HTML shows it, and flags a submission whose notebook had active content, saying what was removed where.

What stays, per output MIME type (rnngrade.cleanhtml says which markup stays):
- text/plain, text/latex (nbconvert escapes it), application/json, the course's check results (JSON data
  that the grader reads and nothing renders), streams and errors (shown as escaped text);
- image/png, image/jpeg, image/gif when they are base64; image/svg+xml, text/html and text/markdown cleaned;
- nothing else: application/javascript, widget views and other renderers' types are dropped.
Output metadata keeps only numeric image sizes (nbconvert writes them into an <img> tag unquoted).

A markdown cell is kept as written unless it holds raw HTML that could be active (a script, a handler, a
javascript: link, ...): then it becomes its own rendering, cleaned, so its text, math and code still show.
"""

import base64
import binascii
import html
import re

from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from rnncheck.check import MIME

from .cleanhtml import clean_html, clean_svg
from .flags import add_flag, cell_name

KEPT = {"text/plain", "text/latex", "application/json", MIME}
IMAGES = {"image/png", "image/jpeg", "image/gif"}
CLEANED = {"text/html": clean_html, "image/svg+xml": clean_svg}
# Dropped without a flag: inert data that Jupyter shows as text or not at all.
INERT = {"application/pdf", "text/csv", "text/x-python"}
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")
# Raw HTML in markdown that could be active (checked in the source, whatever a renderer makes of it), and
# links to files beside the page (formgrader serves the files handed in with a notebook there).
_SUSPECT = re.compile(
    r"<\s*/?\s*(script|style|iframe|frame|frameset|object|embed|applet|form|input|button|textarea|select|meta|"
    r"base|link|svg|math|foreignobject|template|noscript|noembed|noframes|xmp|plaintext|title|portal)\b"
    r"|\bon[a-z]+\s*=|<[^>]*\b(id|name|style|href|srcdoc|formaction|xmlns)\s*=|<!--|<!\[cdata|<\?"
    r"|(\]\(|^\s*\[[^\]]*\]:)\s*<?(?!#|https?://|mailto:|attachment:)[^\s)]", re.I | re.M)
# Checked with white space removed, as browsers ignore it inside a URL; data: only where a link can be.
_SCHEMES = re.compile(r"(javascript|vbscript|livescript):|(\]\(|\]:|<|=|['\"])data:", re.I)


class SanitizeOutputs(Preprocessor):
    """Clean every cell a person will see; flag the notebook for each active part removed.

    Run it in `nbgrader autograde` after the outputs are final (after VerifyChecks and LimitOutput), in
    `generate_feedback`, and in formgrader's HTMLExporter (see nbgrader_config.py)."""

    enabled = Bool(True, help="Clean what the notebook shows (on unless turned off).").tag(config=True)

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)  # saved widget state makes nbconvert load widget code
        for index, cell in enumerate(nb.cells):
            where = cell_name(cell, index)
            removed = sanitize_cell(cell)
            if removed:
                add_flag(nb, "active-content", "removed " + ", ".join(removed), cell=where)
        return nb, resources


def sanitize_cell(cell):
    """Clean one cell in place; returns what was removed, as descriptions."""
    removed = []
    if cell.cell_type == "markdown":
        cell.source, found = clean_markdown(cell.source, cell.get("attachments", {}))
        removed += [f"{item} in its text" for item in found]
    elif cell.cell_type == "raw" and _suspect(cell.source):  # nbconvert puts raw cells into the page as HTML
        cell.source, found = clean_html(cell.source)
        removed += [f"{item} in its text" for item in found]
    for name, bundle in cell.get("attachments", {}).items():
        cell.attachments[name], found = clean_bundle(bundle)
        removed += [f"{item} in attachment {name}" for item in found]
    for k, output in enumerate(cell.get("outputs", [])):
        if output.get("output_type") in ("display_data", "execute_result"):
            output.data, found = clean_bundle(output.get("data", {}))
            output.metadata = image_sizes(output.get("metadata", {}))
            removed += [f"{item} in output {k + 1}" for item in found]
    if "outputs" in cell:  # an output left with nothing to show goes (a script's, for example)
        cell.outputs = [o for o in cell.outputs if o.get("data", True)]
    return removed


def clean_bundle(data):
    """(the MIME bundle with what may stay, cleaned; descriptions of the active parts removed)."""
    kept, removed = {}, []
    for mime, value in data.items():
        if mime in KEPT:
            kept[mime] = value
        elif mime in IMAGES:
            if isinstance(value, str) and _is_base64(value):
                kept[mime] = value
            else:
                removed.append(f"{mime} that is not base64")
        elif mime in CLEANED or mime == "text/markdown":
            text = "".join(value) if isinstance(value, list) else str(value)
            if mime == "image/svg+xml" and not text.lstrip().startswith("<"):
                text = _decoded(text)  # attachments may hold SVG as base64
            kept[mime], found = (clean_markdown(text) if mime == "text/markdown" else CLEANED[mime](text))
            removed += [f"{item} ({mime})" for item in found]
        elif mime not in INERT:
            removed.append(f"{mime} (dropped)")
    return kept, removed


def clean_markdown(source, attachments=None):
    """(markdown, what was removed): as written when it holds nothing suspect, else its cleaned rendering."""
    source = "".join(source) if isinstance(source, list) else source
    if not _suspect(source):
        return source, []
    try:
        rendered = MarkdownWithMath(renderer=IPythonRenderer(escape=False, attachments=attachments or {},
                                                             exclude_anchor_links=True)).render(source)
    except Exception:  # a missing attachment, for one: the text is then shown as it was written
        return "<pre>" + html.escape(source).replace("\n", "&#10;") + "</pre>", clean_html(source)[1]
    cleaned, removed = clean_html(rendered)
    # One line starting with <div>: a single HTML block, so Markdown leaves all of it as it is.
    return "<div>" + cleaned.strip().replace("\n", "&#10;") + "</div>", removed


def image_sizes(metadata):
    """Only numeric width and height of images survive in an output's metadata."""
    sizes = {}
    for mime, meta in metadata.items():
        if mime in IMAGES and isinstance(meta, dict):
            kept = {k: v for k, v in meta.items() if k in ("width", "height") and _is_number(v)}
            if kept:
                sizes[mime] = kept
    return sizes


def _suspect(source):
    unescaped = html.unescape(source)
    return bool(_SUSPECT.search(unescaped) or _SCHEMES.search(re.sub(r"[\x00-\x20]+", "", unescaped)))


def _is_base64(value):
    return _BASE64.fullmatch(value) is not None


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _decoded(text):
    try:
        return base64.b64decode(text, validate=False).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""
