"""What HTML and SVG a student may show a person: allow-lists for nh3 (the ammonia sanitizer), and a list
of the active content that cleaning removed, for the report.

Cleaning keeps text, tables, images and matplotlib's SVG plots; it removes scripts, event handlers, links to
javascript:/vbscript:/data: documents, frames, objects, forms, <meta>, <base>, <style> sheets and, in SVG,
<foreignObject> and references to anything outside the picture itself.
"""

import html
import re
from collections import Counter
from html.parser import HTMLParser

import nh3

HTML_TAGS = set(nh3.ALLOWED_TAGS) | {"tfoot", "font"}
# No id or name: an element with the id of one of formgrader's own inputs would stand in for it.
HTML_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()} | {
    "*": {"class", "title", "style", "align", "valign", "lang", "dir", "width", "height"},
    "table": {"border", "cellpadding", "cellspacing", "summary", "align"},
    "font": {"color", "size", "face"},
}
# Text and table layout only: no position, display or content, which could cover or hide the grading page.
HTML_STYLE = {
    "color", "background-color", "text-align", "vertical-align", "font-weight", "font-style", "font-size",
    "font-family", "text-decoration", "white-space", "line-height", "border", "border-collapse", "border-spacing",
    "border-color", "border-style", "border-width", "border-top", "border-bottom", "border-left", "border-right",
    "padding", "padding-left", "padding-right", "padding-top", "padding-bottom", "margin", "margin-left",
    "margin-right", "margin-top", "margin-bottom", "width", "height", "max-width", "min-width",
}
HTML_SCHEMES = {"http", "https", "mailto", "data", "attachment"}

# The elements and attributes matplotlib's SVG backend writes, and the usual shapes and gradients.
SVG_TAGS = {
    "svg", "g", "defs", "symbol", "use", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
    "text", "tspan", "clipPath", "mask", "pattern", "marker", "linearGradient", "radialGradient", "stop",
    "image", "title", "desc",
}
SVG_PRESENTATION = {
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin",
    "stroke-dasharray", "stroke-dashoffset", "stroke-miterlimit", "stroke-opacity", "opacity", "clip-path",
    "clip-rule", "mask", "stop-color", "stop-opacity", "font", "font-family", "font-size", "font-weight",
    "font-style", "font-stretch", "text-anchor", "dominant-baseline", "baseline-shift", "letter-spacing",
    "word-spacing", "visibility", "overflow", "color", "marker-start", "marker-mid", "marker-end",
    "image-rendering", "shape-rendering", "vector-effect", "white-space", "paint-order",
}
SVG_ATTRIBUTES = {"*": SVG_PRESENTATION | {
    "id", "class", "style", "transform", "d", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry",
    "fx", "fy", "dx", "dy", "width", "height", "viewBox", "preserveAspectRatio", "points", "pathLength",
    "clipPathUnits", "maskUnits", "maskContentUnits", "patternUnits", "patternContentUnits", "patternTransform",
    "gradientUnits", "gradientTransform", "spreadMethod", "offset", "rotate", "textLength", "lengthAdjust",
    "markerWidth", "markerHeight", "markerUnits", "refX", "refY", "orient", "version", "xmlns", "href",
    "xlink:href",
}}
SVG_SCHEMES = {"data"}  # and local references (#id), checked in _attribute_filter
XLINK = {"svg": {"xmlns:xlink": "http://www.w3.org/1999/xlink"}}  # matplotlib writes xlink:href

# Removed, these are what the report calls active content (a submission that had any is flagged).
ACTIVE_TAGS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input", "button", "textarea",
    "select", "meta", "base", "link", "foreignobject", "animate", "animatemotion", "animatetransform", "set",
    "handler", "listener", "portal", "noscript", "template", "math",
}
URL_ATTRIBUTES = {"href", "src", "xlink:href", "action", "formaction", "data", "poster", "background",
                  "srcdoc", "srcset", "codebase", "dynsrc", "lowsrc", "ping"}
HARMLESS_TARGETS = {"local", "relative", "http:", "https:", "mailto:", "attachment:"}
_IMAGE_DATA = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml)[;,]", re.I)
_URL_IN_VALUE = re.compile(r"url\s*\(\s*(?!['\"]?#)", re.I)  # url(...) that is not a local url(#id)
_CONTROL = re.compile(r"[\x00-\x20]+")
_OUTSIDE_OR_LOCAL = re.compile(r"#|https?://|mailto:", re.I)


def _attribute_filter(tag, attribute, value):
    """Values nh3's own checks let through that still reach outside: data: documents, url() in styles,
    links to files beside the page, and, in SVG, references other than local ones (#id) or embedded images."""
    if _URL_IN_VALUE.search(value):
        return None
    if tag == "a" and attribute == "href" and not _OUTSIDE_OR_LOCAL.match(_CONTROL.sub("", value)):
        # formgrader serves the files handed in beside a notebook next to its page, at relative URLs
        return None
    if attribute in ("href", "src", "xlink:href") and _CONTROL.sub("", value).lower().startswith("data:"):
        return value if tag in ("img", "image") and _IMAGE_DATA.match(_CONTROL.sub("", value)) else None
    if tag in ("use", "image", "pattern", "linearGradient", "radialGradient", "textPath") and attribute in (
            "href", "xlink:href") and not (value.startswith("#") or tag == "image"):
        return None
    return value


_HTML = nh3.Cleaner(tags=HTML_TAGS, attributes=HTML_ATTRIBUTES, url_schemes=HTML_SCHEMES,
                    link_rel="noopener noreferrer", filter_style_properties=HTML_STYLE,
                    attribute_filter=_attribute_filter, strip_comments=True)
_SVG = nh3.Cleaner(tags=SVG_TAGS, attributes=SVG_ATTRIBUTES, url_schemes=SVG_SCHEMES,
                   link_rel=None, filter_style_properties=SVG_PRESENTATION, attribute_filter=_attribute_filter,
                   set_tag_attribute_values=XLINK, strip_comments=True)
_TEXT = nh3.Cleaner(tags=set(), attributes={}, link_rel=None)


def clean_html(text):
    """(cleaned HTML, what active content was removed: a list of short descriptions)."""
    cleaned = _HTML.clean(text)
    return cleaned, active_removals(text, cleaned)


def clean_svg(text):
    """(cleaned SVG, what active content was removed); the XML prolog goes, the picture stays."""
    cleaned = _SVG.clean(text)
    if cleaned.lstrip().startswith("<svg") and 'xmlns="' not in cleaned.split(">", 1)[0]:
        cleaned = cleaned.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    return cleaned, active_removals(text, cleaned, svg=True)


def clean_text(text):
    """Text with every tag removed (for places that must never hold markup)."""
    cleaned = _TEXT.clean(text)
    return cleaned, active_removals(text, cleaned)


class _Inventory(HTMLParser):
    """Tags and attributes as a browser would see them, counted (names in lower case, values unescaped)."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags, self.attributes = Counter(), Counter()
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        for name, value in attrs:
            self.attributes[(name, _url_kind(name, value or ""))] += 1

    handle_startendtag = handle_starttag


def _url_kind(name, value):
    """For a URL attribute, the kind of target it names (what the report says was removed)."""
    if name not in URL_ATTRIBUTES:
        return None
    target = _CONTROL.sub("", html.unescape(value)).lower()
    scheme = re.match(r"([a-z][a-z0-9+.-]*):", target)
    if name == "srcdoc":
        return "srcdoc"
    if scheme and scheme.group(1) == "data":
        return "data:" + target[5:].split(";")[0].split(",")[0]
    return scheme.group(1) + ":" if scheme else ("local" if target.startswith("#") else "relative")


def active_removals(before, after, svg=False):
    """Short descriptions of the active content that is in `before` but no longer in `after`."""
    was, now = _Inventory(before), _Inventory(after)
    found = []
    for tag, n in sorted((was.tags - now.tags).items()):
        if tag in ACTIVE_TAGS or (tag == "style" and not svg):
            found.append(f"<{tag}>" + (f" ({n})" if n > 1 else ""))
    for (name, kind), n in sorted((was.attributes - now.attributes).items(), key=str):
        count = f" ({n})" if n > 1 else ""
        if name.startswith("on") or name in ("srcdoc", "action", "formaction"):
            found.append(f"{name}={count}")
        elif kind is not None and (svg and kind in ("http:", "https:") or kind not in HARMLESS_TARGETS
                                   and not (kind.startswith("data:image/") and kind != "data:image/svg+xml")):
            found.append(f"{name}={kind}{count}")
    return found
