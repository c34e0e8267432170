"""Translations of the book: the configurations of its other editions, extracting the English strings, updating
the catalogues in locale/<language>/LC_MESSAGES/ (one per page) and saying what is left to translate.

    python tools/i18n.py config LANGUAGE [OUT]   write the configuration of that edition, print its path
    python tools/i18n.py config gettext [OUT]    the same for extracting the strings (notebooks not executed)
    python tools/i18n.py extract OUT             extract the English strings into OUT/_build/gettext/*.pot
    python tools/i18n.py update [--locale DIR] [--pot DIR]   extract (unless --pot), update the catalogues
    python tools/i18n.py status [--locale DIR] [--pot DIR]   extract (unless --pot), list what is not translated

Each configuration is derived from _config.yml, never written by hand: the edition of LANGUAGE sets Sphinx's
`language`, takes its title from the translation of the book's title in the root page's catalogue, and reads
the notebooks' outputs from the English student edition's execution cache (_build/.jupyter_cache), so that it
executes nothing itself. It is written under _build/ (git-ignored); local_extensions become absolute paths, as
Jupyter Book resolves them relative to the configuration file.

`update` merges the extracted strings into every catalogue like gettext's msgmerge with a compendium of every
translation of every catalogue: a string already translated on its page keeps its translation; a string found
translated on another page (a paragraph that moved) takes that translation; a string that is display mathematics
alone is its own translation; a string close to one already translated is given that translation marked fuzzy,
with the old English string (`#| msgid`) for the translator to compare; anything else is left untranslated. The
catalogues keep the order of their page, the default line width, no locations and no dates that change: a new
catalogue takes the header of an existing one. Strings no longer on a page are dropped (the compendium has
them while the update runs, git keeps them afterwards); so is the catalogue of a page no longer in the book.
"""

from __future__ import annotations

import argparse
import difflib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from copy import deepcopy
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import normalize, read_po, unescape, write_po

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "_config.yml"
LOCALE = ROOT / "locale"
BUILD = ROOT / "_build"
# The English student edition's execution cache (`make book`): every other edition reads its outputs from it.
EXECUTION_CACHE = BUILD / ".jupyter_cache"
# Where `make translations` extracts the strings, and where the derived configurations are written.
I18N_BUILD = BUILD / "i18n"

# An equation block reaches its page's template as its LaTeX with the line breaks around it that it has in the
# source ("\nC_t = ...\n"); every other string is stripped (a paragraph, a heading, an item, a caption) or at
# least starts with its text (an alt text, which may end with a line break). Such a string is its own
# translation unless a \text{...} in it holds words (\text{if }, \text{cell path}): a translator decides.
TEXT_IN_MATH = re.compile(r"\\(?:text|textrm|textit|textbf|textsf|mbox)\{([^{}]*)\}")
QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
WIDTH = 76  # babel's and sphinx-intl's default line width, the catalogues' as they are
# A difference between the English strings and a catalogue, shown with the string's first characters.
SHOWN = 70
# How close a string must be to a translated one (difflib's ratio) for that translation to be offered as fuzzy.
FUZZY_CUTOFF = 0.6


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def book_config() -> dict:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


def root_page() -> str:
    return yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))["root"]


def translated_title(language: str, title: str, locale: Path = LOCALE) -> str:
    """The book's title in `language`: its translation in the root page's catalogue (the page's own heading),
    or the English title while it has none."""
    po = locale / language / "LC_MESSAGES" / f"{root_page()}.po"
    if po.exists():
        with open(po, "rb") as f:
            message = read_po(f).get(title)
        if message is not None and message.string and not message.fuzzy:
            return message.string
    return title


def _merge(into: dict, update: dict) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def derived_config(name: str, out: Path | None = None, cache: Path = EXECUTION_CACHE) -> Path:
    """Write the configuration of edition `name` (a language such as zh_CN, or "gettext" for extracting the
    strings) into `out` (default _build/i18n) and return its path. `cache`: the execution cache to read."""
    config = deepcopy(book_config())
    sphinx = config.setdefault("sphinx", {})
    sphinx["local_extensions"] = {ext: str((ROOT / path).resolve())
                                  for ext, path in (sphinx.get("local_extensions") or {}).items()}
    execute = config.setdefault("execute", {})
    if name == "gettext":
        execute["execute_notebooks"] = "off"  # the strings are the pages' source: no output is needed
    else:
        config["title"] = translated_title(name, config["title"])
        settings = sphinx.setdefault("config", {})
        settings["language"] = name
        # The edition's own settings (interface strings that neither Sphinx nor the theme translates).
        _merge(settings, (settings.get("book_editions") or {}).get(name, {}).get("config") or {})
        execute["cache"] = str(Path(cache).resolve())
    path = (out or I18N_BUILD) / f"_config.{name}.yml"
    header = f"# Generated from _config.yml by tools/i18n.py ({name}): edit _config.yml, not this file.\n"
    _atomic_write(path, header + yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    return path


def extract(out: Path, quiet: bool = True) -> Path:
    """Extract the English strings of the student edition (notebooks not executed) into out/_build/gettext;
    return that folder."""
    out = Path(out).resolve()
    shutil.rmtree(out / "_build" / "gettext", ignore_errors=True)  # no template left of a page now gone
    config = derived_config("gettext", out)
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    command = [str(jupyter_book), "build", "--all", str(ROOT), "--config", str(config), "--path-output", str(out),
               "--builder", "custom", "--custom-builder", "gettext"]
    env = {**os.environ, "RNNBOOK_EDITION": "student"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=quiet, text=True)
    if done.returncode:
        raise RuntimeError(f"extracting the strings failed ({' '.join(command)}):\n{done.stdout}\n{done.stderr}"
                           if quiet else f"extracting the strings failed: {' '.join(command)}")
    return out / "_build" / "gettext"


def read_catalogue(path: Path) -> Catalog:
    """A catalogue, with the previous English string of each fuzzy entry (`#| msgid`, which babel reads as a
    comment) as its previous_id."""
    with open(path, "rb") as f:
        catalog = read_po(f)
    for message in catalog:
        previous = [c[1:].strip() for c in message.user_comments if c.startswith("|")]
        if previous:
            message.user_comments = [c for c in message.user_comments if not c.startswith("|")]
            text = " ".join(previous)
            if text.startswith("msgid "):
                quoted = QUOTED.findall(text.split(" msgid_plural ")[0])
                message.previous_id = ["".join(unescape(f'"{part}"') for part in quoted)]
    return catalog


def templates(pot_dir: Path) -> dict[str, Catalog]:
    """{page (chapters/01_recurrence): its template}, in the order of the files."""
    return {pot.relative_to(pot_dir).with_suffix("").as_posix(): read_catalogue(pot)
            for pot in sorted(Path(pot_dir).rglob("*.pot"))}


def catalogues(locale: Path, language: str) -> dict[str, Path]:
    messages = Path(locale) / language / "LC_MESSAGES"
    return {po.relative_to(messages).with_suffix("").as_posix(): po for po in sorted(messages.rglob("*.po"))}


def languages(locale: Path) -> list[str]:
    return sorted(d.name for d in Path(locale).iterdir() if (d / "LC_MESSAGES").is_dir())


def _translated(message: Message) -> bool:
    return bool(message.id) and bool(message.string) and not message.fuzzy


def is_display_math(msgid: str) -> bool:
    """A string that is an equation block, and whose translation is itself (no words to translate in it)."""
    return (msgid[:1].isspace() and msgid[-1:].isspace()
            and not any(re.search("[A-Za-z]{2}", text) for text in TEXT_IN_MATH.findall(msgid)))


def _dump(catalog: Catalog) -> bytes:
    """The catalogue as a .po file: the default line width, no locations, no obsolete entries, and the previous
    English string of a fuzzy entry as gettext writes it (babel's include_previous breaks a long one across
    lines inside its quotes)."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=WIDTH, ignore_obsolete=True, include_previous=False)
    blocks = buffer.getvalue().decode("utf-8").split("\n\n")
    messages = [message for message in catalog if message.id]
    assert len(blocks) == len(messages) + 2 and blocks[-1] == "", "unexpected layout of a .po file"
    for i, message in enumerate(messages, start=1):
        if message.previous_id and message.fuzzy:
            lines = blocks[i].split("\n")
            at = next(n for n, line in enumerate(lines) if line.startswith(("msgctxt ", "msgid ")))
            previous = normalize(message.previous_id[0], width=WIDTH - 3).split("\n")
            previous = [f"#| msgid {previous[0]}", *(f"#| {line}" for line in previous[1:])]
            blocks[i] = "\n".join(lines[:at] + previous + lines[at:])
    return "\n\n".join(_without_python_format(block) for block in blocks).encode("utf-8")


def _without_python_format(block: str) -> str:
    """Babel flags every string with a "%" followed by a letter ("90% of") as a Python format string, and then
    msgfmt --check demands the same "% o" in the translation: the book's strings are never format strings."""
    lines = []
    for line in block.split("\n"):
        if line.startswith("#, "):
            flags = [flag for flag in line[3:].split(", ") if flag != "python-format"]
            if not flags:
                continue
            line = "#, " + ", ".join(flags)
        lines.append(line)
    return "\n".join(lines)


def _new_catalogue(language: str, header_from: Catalog | None) -> Catalog:
    catalog = Catalog(locale=language)
    if header_from is not None:  # the same header as the language's other catalogues: nothing that changes
        for attribute in ("header_comment", "project", "version", "copyright_holder", "msgid_bugs_address",
                          "last_translator", "language_team", "creation_date", "revision_date", "fuzzy"):
            setattr(catalog, attribute, getattr(header_from, attribute))
    return catalog


def merge(template: Catalog, own: Catalog | None, compendium: dict, counts: dict) -> list[Message]:
    """The messages of a page's catalogue: `template`'s strings in its order, each with the translation that
    `own` (the page's catalogue as it is) or `compendium` gives it."""
    candidates = [msgid for (msgid, context) in compendium if not context]
    merged = []
    for entry in template:
        if not entry.id:
            continue
        message = Message(entry.id, "", flags=set(entry.flags) - {"fuzzy"}, context=entry.context,
                          auto_comments=list(entry.auto_comments))
        old = own.get(entry.id, entry.context) if own is not None else None
        if old is not None:
            message.user_comments = list(old.user_comments)
        if old is not None and old.string:
            message.string = old.string
            if old.fuzzy:
                message.flags.add("fuzzy")
                message.previous_id = list(old.previous_id)
            counts["kept"] += 1
        elif (entry.id, entry.context) in compendium:
            message.string = compendium[entry.id, entry.context].string
            counts["moved"] += 1
        elif is_display_math(entry.id):
            message.string = entry.id
            counts["math"] += 1
        elif close := difflib.get_close_matches(entry.id, candidates, 1, FUZZY_CUTOFF):
            message.string = compendium[close[0], None].string
            message.flags.add("fuzzy")
            message.previous_id = [close[0]]
            counts["fuzzy"] += 1
        else:
            counts["untranslated"] += 1
        merged.append(message)
    return merged


def update(pot_dir: Path, locale: Path = LOCALE, langs: list[str] | None = None) -> list[str]:
    """Update every catalogue of every language in `locale` from the templates in `pot_dir`; return a summary,
    one line per catalogue created, changed or removed."""
    pages = templates(pot_dir)
    summary = []
    for language in langs or languages(locale):
        paths = catalogues(locale, language)
        existing = {page: read_catalogue(path) for page, path in paths.items()}
        # The compendium: every translation of the language, the first one of the files' order for a string
        # translated on several pages (a page's own translation always comes first: see merge).
        compendium: dict = {}
        for catalog in existing.values():
            for message in catalog:
                if _translated(message):
                    compendium.setdefault((message.id, message.context or None), message)
        header = next(iter(existing.values()), None)
        for page, template in pages.items():
            own = existing.get(page)
            counts = dict.fromkeys(("kept", "moved", "math", "fuzzy", "untranslated"), 0)
            messages = merge(template, own, compendium, counts)
            path = Path(locale) / language / "LC_MESSAGES" / f"{page}.po"
            if own is not None:
                before = path.read_bytes()
                catalog = own  # its header as it is
                catalog._messages.clear()  # noqa: SLF001
                catalog.obsolete.clear()
            else:
                before, catalog = None, _new_catalogue(language, header)
            for message in messages:
                catalog[message.id] = message
            text = _dump(catalog)
            if text != before:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(text)
                done = ", ".join(f"{n} {what}" for what, n in counts.items() if n and what != "kept")
                summary.append(f"{path.relative_to(locale)}: {'updated' if own is not None else 'created'}"
                               + (f" ({done})" if done else ""))
        for page, path in paths.items():
            if page not in pages:
                path.unlink()
                summary.append(f"{path.relative_to(locale)}: removed (the page is no longer in the book)")
    return summary


def status(pot_dir: Path, locale: Path = LOCALE, langs: list[str] | None = None) -> list[str]:
    """One line per difference between the English strings and the catalogues: a page without a catalogue, a
    string new or changed on its page (not in the catalogue), untranslated or fuzzy, and a string that the
    catalogue has but the page no longer has."""
    pages = templates(pot_dir)
    found = []
    for language in langs or languages(locale):
        present = catalogues(locale, language)
        for page, template in pages.items():
            where = f"{language}/{page}"
            if page not in present:
                found.append(f"{where}: no catalogue (new page)")
                continue
            catalog = read_catalogue(present[page])
            wanted = {(m.id, m.context) for m in template if m.id}
            gone = [m.id for m in catalog if m.id and (m.id, m.context) not in wanted]
            matched = set()
            for entry in template:
                if not entry.id:
                    continue
                message = catalog.get(entry.id, entry.context)
                if message is None:
                    was = difflib.get_close_matches(entry.id, gone, 1, FUZZY_CUTOFF)
                    matched.update(was)
                    found.append(f"{where}: changed: {_changed(entry.id, was[0])}" if was
                                 else f"{where}: new: {_short(entry.id)}")
                elif not message.string:
                    found.append(f"{where}: untranslated: {_short(entry.id)}")
                elif message.fuzzy:
                    found.append(f"{where}: fuzzy: {_short(entry.id)}")
            found += [f"{where}: no longer on the page: {_short(msgid)}" for msgid in gone if msgid not in matched]
        found += [f"{language}/{page}: catalogue of a page no longer in the book" for page in present
                  if page not in pages]
    return found


def _short(text: str, start: int = 0) -> str:
    text = " ".join(text.split())
    shown = ("…" if start else "") + text[start:start + SHOWN] + ("…" if len(text) > start + SHOWN else "")
    return repr(shown)


def _changed(new: str, old: str) -> str:
    """Both strings, from a little before their first difference when it is not near their start."""
    new_words, old_words = " ".join(new.split()), " ".join(old.split())
    common = next((i for i, (a, b) in enumerate(zip(new_words, old_words, strict=False)) if a != b),
                  min(len(new_words), len(old_words)))
    start = common - 20 if common > SHOWN - 20 else 0
    return f"{_short(new_words, start)}, was {_short(old_words, start)}"


MATHJAX_SRC = re.compile(r'(src="(?:\.\./)*)(_static/mathjax/)')


def share_mathjax(site: Path, edition: Path) -> int:
    """Point the pages of a translated edition inside SITE at SITE's own copy of MathJax, and drop the edition's
    copy: the same files, several megabytes, need not ship twice. Returns the number of pages changed."""
    ours, theirs = site / "_static" / "mathjax", edition / "_static" / "mathjax"
    if not ours.is_dir():
        raise SystemExit(f"{ours} is missing: build the English edition first")
    depth = len(edition.relative_to(site).parts)  # how far the edition's _static/ is below the site's
    changed = 0
    for page in edition.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        shared = MATHJAX_SRC.sub(lambda m: m.group(1) + "../" * depth + m.group(2), html)
        if shared != html:
            page.write_text(shared, encoding="utf-8")
            changed += 1
    shutil.rmtree(theirs, ignore_errors=True)
    return changed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    config = commands.add_parser("config", help="write the configuration of an edition, print its path")
    config.add_argument("name", help="a language (zh_CN) or gettext")
    config.add_argument("out", nargs="?", type=Path, help=f"folder (default {I18N_BUILD.relative_to(ROOT)})")
    config.add_argument("--cache", type=Path, default=EXECUTION_CACHE,
                        help=f"execution cache to read (default {EXECUTION_CACHE.relative_to(ROOT)})")
    ex = commands.add_parser("extract", help="extract the English strings into OUT/_build/gettext")
    ex.add_argument("out", type=Path)
    share = commands.add_parser("share-mathjax", help="pages of EDITION (inside SITE) use SITE's MathJax")
    share.add_argument("site", type=Path)
    share.add_argument("edition", type=Path)
    for name in ("update", "status"):
        sub = commands.add_parser(name)
        sub.add_argument("--locale", type=Path, default=LOCALE, help="catalogues (default locale/)")
        sub.add_argument("--pot", type=Path, help="templates already extracted (default: extract them now)")
    args = parser.parse_args(argv)
    if args.command == "config":
        print(derived_config(args.name, args.out, args.cache))
        return 0
    if args.command == "share-mathjax":
        print(f"{share_mathjax(args.site, args.edition)} pages of {args.edition} use {args.site}/_static/mathjax")
        return 0
    if args.command == "extract":
        print(extract(args.out, quiet=False))
        return 0
    pot = args.pot or extract(I18N_BUILD)
    if args.command == "update":
        for line in update(pot, args.locale) or ["every catalogue is up to date"]:
            print(line)
        return 0
    found = status(pot, args.locale)
    for line in found:
        print(line)
    print(f"{len(found)} strings to translate or update" if found else "every catalogue is complete and in step")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
