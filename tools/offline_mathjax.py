r"""Serve MathJax from the book itself, so that its math renders with no network.

MathJax is the only asset the book's HTML would otherwise load from a CDN. This module does both halves:

* As a script, ``python tools/offline_mathjax.py`` fetches one pinned release of the npm package
  ``mathjax`` with ``npm pack`` (at set-up time, never while building), checks its sha512 against the
  value pinned below and unpacks the parts the book uses into ``_vendor/mathjax/`` (git-ignored):
  ``tex-chtml-full.js`` (TeX input with every TeX extension built in, HTML output, the menu), the
  smaller ``tex-chtml.js`` (the same with the base and AMS macros only), their web fonts and the
  accessibility components that the MathJax menu loads on demand; and, for the feedback HTML of grading,
  ``tex-svg-full.js`` and ``ui/safe.js``. The book uses ``tex-chtml-full.js``: its exercises write
  ``\_`` and quotes inside ``\text{…}``, which only the textmacros extension typesets, and that
  extension is built into the full component (1.3 MB against 1.2 MB) but not into ``tex-chtml.js``.

* As a Sphinx extension (``sphinx.local_extensions`` in ``_config.yml``), it adds ``_vendor/`` to the
  static files, so that MathJax lands in ``_build/html/_static/mathjax/``: only the component that
  ``mathjax_path`` names, its fonts and the accessibility components (what grading's feedback needs and
  the other component stay out of the site). It fails the build if ``mathjax_path`` is a URL or points at
  a file that was not fetched, and, when ``mathjax_path`` is ``tex-chtml.js``, warns (an error under
  ``-W``) about a formula that component would typeset wrongly or only with a TeX extension the site
  does not ship. ``_vendor/`` is deliberately
  not ``_static/``: Jupyter Book adds every ``.js`` file under ``_static/`` to every page.

  It also keeps the themes' source maps (``*.map``, a debugging aid for the themes' own developers,
  several megabytes) out of the site.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

MATHJAX_VERSION = "3.2.2"
# `npm view mathjax@3.2.2 dist.integrity`
MATHJAX_INTEGRITY = "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="

ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = ROOT / "_vendor"  # one entry of html_static_path: its contents land in _build/html/_static/
MATHJAX_DIR = VENDOR_DIR / "mathjax"
STAMP = MATHJAX_DIR / ".version"
# The components a book page can load (`mathjax_path`): TeX input with every TeX extension built in,
# CommonHTML output and the menu; and the same with the base and AMS macros only (smaller, for math that
# needs no more: the extension checks it, see _check_macros).
ENTRY_POINT = "tex-chtml.js"
ENTRY_POINTS = ("tex-chtml-full.js", ENTRY_POINT)

# Inlined into each feedback file by rnngrade.feedback: SVG output carries its glyphs, so one file typesets alone.
FEEDBACK_FILES = ("tex-svg-full.js", "ui/safe.js")

# What a book page may load besides its component, relative to it.
BOOK_SUPPORT = (
    "LICENSE",
    "output/chtml/fonts/woff-v2/",  # the fonts of the CommonHTML output
    "a11y/",  # loaded when a reader turns on the accessibility explorer in the MathJax menu
    "sre/",  # the speech-rule engine the explorer needs
)

# What to keep from the package's es5/ folder, and its licence from the package root.
KEEP = (*ENTRY_POINTS, *BOOK_SUPPORT, *FEEDBACK_FILES)

# tex-chtml.js loads a TeX extension from input/tex/extensions/ the first time a formula uses one of its
# macros (MathJax 3.2's autoload table, environments in brackets). The site ships none of them: a book that
# needs one sets mathjax_path to tex-chtml-full.js, which has them all built in. Neither has tex-chtml.js
# the textmacros extension, which typesets macros inside \text{...} (such as \_): without it they show as
# they are written.
AUTOLOADED = {
    "action": ("toggle", "mathtip", "texttip"),
    "amscd": ("[CD]",),
    "bbox": ("bbox",),
    "boldsymbol": ("boldsymbol",),
    "braket": ("bra", "ket", "braket", "set", "Bra", "Ket", "Braket", "Set", "ketbra", "Ketbra"),
    "bussproofs": ("[prooftree]",),
    "cancel": ("cancel", "bcancel", "xcancel", "cancelto"),
    "color": ("color", "definecolor", "textcolor", "colorbox", "fcolorbox"),
    "enclose": ("enclose",),
    "extpfeil": ("xtwoheadrightarrow", "xtwoheadleftarrow", "xmapsto", "xlongequal", "xtofrom", "Newextarrow"),
    "html": ("href", "class", "style", "cssId"),
    "mhchem": ("ce", "pu"),
    "unicode": ("unicode",),
    "verb": ("verb",),
}


def _wanted(member: str) -> str | None:
    """Map a path inside the npm tarball to a path under MATHJAX_DIR, or None to skip it."""
    if member == "package/LICENSE":
        return "LICENSE"
    prefix = "package/es5/"
    if not member.startswith(prefix):
        return None
    rel = member[len(prefix) :]
    if any(rel == keep or (keep.endswith("/") and rel.startswith(keep)) for keep in KEEP):
        return rel
    return None


def _check_integrity(data: bytes) -> None:
    algorithm, _, expected = MATHJAX_INTEGRITY.partition("-")
    got = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if got != expected:
        raise SystemExit(f"mathjax@{MATHJAX_VERSION}: {algorithm} is {got}, expected {expected}")


def fetch(force: bool = False) -> None:
    """Unpack mathjax@MATHJAX_VERSION into MATHJAX_DIR, unless that version is already there."""
    present = all((MATHJAX_DIR / name).is_file() for name in (*ENTRY_POINTS, *FEEDBACK_FILES))
    if not force and present and STAMP.is_file() and STAMP.read_text().strip() == MATHJAX_VERSION:
        print(f"MathJax {MATHJAX_VERSION} already in {MATHJAX_DIR.relative_to(ROOT)}")
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed once, to fetch MathJax for offline math: install Node.js and npm")
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [npm, "pack", f"mathjax@{MATHJAX_VERSION}", "--json", "--pack-destination", tmp],
            check=True,
            capture_output=True,
            text=True,
            cwd=tmp,
        ).stdout
        tarball = Path(tmp) / json.loads(out)[0]["filename"]
        data = tarball.read_bytes()
    _check_integrity(data)

    staging = VENDOR_DIR / ".mathjax.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            rel = _wanted(member.name)
            if rel is None or not member.isfile():
                continue
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(tar.extractfile(member).read())
    missing = [name for name in (*ENTRY_POINTS, *FEEDBACK_FILES) if not (staging / name).is_file()]
    if missing:
        raise SystemExit(f"mathjax@{MATHJAX_VERSION} has no es5/{', es5/'.join(missing)}")
    (staging / STAMP.name).write_text(MATHJAX_VERSION + "\n")
    shutil.rmtree(MATHJAX_DIR, ignore_errors=True)
    staging.rename(MATHJAX_DIR)
    size = sum(p.stat().st_size for p in MATHJAX_DIR.rglob("*") if p.is_file())
    print(f"MathJax {MATHJAX_VERSION} unpacked into {MATHJAX_DIR.relative_to(ROOT)} ({size / 1e6:.1f} MB)")


# --- Sphinx extension -------------------------------------------------------------------------------


def _configure(app, config) -> None:
    from sphinx.errors import ConfigError

    path = config.mathjax_path
    if "://" in path or path.startswith("//"):
        raise ConfigError(f"mathjax_path is {path!r}: the book serves MathJax itself, set it to 'mathjax/…'")
    if not (VENDOR_DIR / path).is_file():
        raise ConfigError(
            f"mathjax_path {path!r} is not in {VENDOR_DIR.relative_to(ROOT)}/: "
            "run `make book` (or `python tools/offline_mathjax.py`) once to fetch MathJax"
        )
    config.html_static_path = [*config.html_static_path, str(VENDOR_DIR)]
    # Sphinx copies a static folder without the files that match exclude_patterns, relative to the folder.
    config.exclude_patterns = [*config.exclude_patterns, *_not_for_the_book(path)]


def _not_for_the_book(mathjax_path: str) -> list[str]:
    """The files of _vendor/ that a book page never loads, relative to _vendor/ (Sphinx patterns)."""
    shipped = (mathjax_path, *(f"{MATHJAX_DIR.name}/{support}" for support in BOOK_SUPPORT))
    files = (p.relative_to(VENDOR_DIR).as_posix() for p in VENDOR_DIR.rglob("*") if p.is_file())
    return sorted(rel for rel in files
                  if not any(rel == keep or (keep.endswith("/") and rel.startswith(keep)) for keep in shipped))


_MACRO = re.compile(r"\\begin\{([A-Za-z]+)\}|\\([A-Za-z]+)")
_TEXT_MACRO = re.compile(r"\\text\{[^{}]*\\")  # a backslash inside \text{...}
_NEEDS = {name: extension for extension, names in AUTOLOADED.items() for name in names}


def _check_macros(app, doctree, docname) -> None:
    """Warn about a formula that tex-chtml.js would typeset wrongly, or only with a TeX extension the site
    lacks."""
    from docutils import nodes
    from sphinx.util import logging

    if not app.config.mathjax_path.endswith("/" + ENTRY_POINT):
        return
    for node in doctree.findall(lambda n: isinstance(n, (nodes.math, nodes.math_block))):
        if _TEXT_MACRO.search(node.astext()):
            logging.getLogger(__name__).warning(
                "a macro inside \\text{...} needs MathJax's textmacros extension, which tex-chtml.js lacks: "
                "set mathjax_path to mathjax/tex-chtml-full.js",
                location=node,
            )
        for environment, macro in _MACRO.findall(node.astext()):
            name = macro or f"[{environment}]"
            if name in _NEEDS:
                shown = f"\\begin{{{environment}}}" if environment else f"\\{macro}"
                logging.getLogger(__name__).warning(
                    f"{shown} needs MathJax's {_NEEDS[name]} extension, which the site does not ship: "
                    "set mathjax_path to mathjax/tex-chtml-full.js",
                    location=node,
                )


def _drop_source_maps(app, exception) -> None:
    """Remove the themes' source maps from the site, and the comments in their files that name them."""
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    for source_map in static.rglob("*.map"):
        source_map.unlink()
    comment = re.compile(r"\n?(?://# sourceMappingURL=\S+\.map|/\*# sourceMappingURL=\S+?\.map\s*\*/)\s*$")
    for asset in [*static.rglob("*.js"), *static.rglob("*.css")]:
        text = asset.read_text(encoding="utf-8", errors="surrogateescape")
        if "sourceMappingURL=" in text[-300:]:
            asset.write_text(comment.sub("", text), encoding="utf-8", errors="surrogateescape")


def setup(app):
    app.connect("config-inited", _configure)
    app.connect("doctree-resolved", _check_macros)
    app.connect("build-finished", _drop_source_maps)
    return {"version": MATHJAX_VERSION, "parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="fetch again even if this version is there")
    fetch(force=parser.parse_args(argv).force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
