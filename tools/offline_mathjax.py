"""Serve MathJax from the book itself, so that its math renders with no network.

MathJax is the only asset the book's HTML would otherwise load from a CDN. This module does both halves:

* As a script, ``python tools/offline_mathjax.py`` fetches one pinned release of the npm package
  ``mathjax`` with ``npm pack`` (at set-up time, never while building), checks its sha512 against the
  value pinned below and unpacks the parts the book uses into ``_vendor/mathjax/`` (git-ignored):
  the ``tex-chtml-full.js`` bundle, its web fonts, and the accessibility components that the
  MathJax menu loads on demand; and, for the feedback HTML of grading, ``tex-svg-full.js`` and ``ui/safe.js``.

* As a Sphinx extension (``sphinx.local_extensions`` in ``_config.yml``), it adds ``_vendor/`` to the
  static files, so that the bundle lands in ``_build/html/_static/mathjax/``, and fails the build if
  ``mathjax_path`` is a URL or points at a file that was not fetched. ``_vendor/`` is deliberately not
  ``_static/``: Jupyter Book adds every ``.js`` file under ``_static/`` to every page.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
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
ENTRY_POINT = "tex-chtml-full.js"  # TeX input, CommonHTML output, every TeX extension preloaded

# Inlined into each feedback file by rnngrade.feedback: SVG output carries its glyphs, so one file typesets alone.
FEEDBACK_FILES = ("tex-svg-full.js", "ui/safe.js")

# What to keep from the package's es5/ folder, and its licence from the package root.
KEEP = (
    ENTRY_POINT,
    "output/chtml/fonts/woff-v2/",  # the fonts tex-chtml-full.js asks for, relative to itself
    "a11y/",  # loaded when a reader turns on the accessibility explorer in the MathJax menu
    "sre/",  # the speech-rule engine the explorer needs
    *FEEDBACK_FILES,
)


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
    present = all((MATHJAX_DIR / name).is_file() for name in (ENTRY_POINT, *FEEDBACK_FILES))
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
    if not (staging / ENTRY_POINT).is_file():
        raise SystemExit(f"mathjax@{MATHJAX_VERSION} has no es5/{ENTRY_POINT}")
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


def setup(app):
    app.connect("config-inited", _configure)
    return {"version": MATHJAX_VERSION, "parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="fetch again even if this version is there")
    fetch(force=parser.parse_args(argv).force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
