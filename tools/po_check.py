"""Check translation catalogues: every entry translated, none fuzzy, and every piece of mathematics, code,
cross-reference target and link of an English string kept, unchanged, in its translation.

    python tools/po_check.py [PO ...]        (default: every catalogue under locale/)

A translation may reorder these pieces (word order differs between languages) and may translate a role's
title (`{doc}`chapter 4 <04_gates>`` -> `{doc}`第 4 章 <04_gates>``), never its target.
"""

import re
import sys
from collections import Counter
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "locale"

# A role starts after a space, punctuation or a CJK character, never inside a name such as `weight_ih_l{k}`.
ROLE = re.compile(r"(?<![A-Za-z0-9_`])\{([\w:.-]+)\}`([^`]*)`")
CODE = re.compile(r"(?<![}`])`([^`]+)`")
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
INLINE_MATH = re.compile(r"(?<![\\$])\$([^$\n]+?)\$")
LINK = re.compile(r"\]\(([^)\s]+)\)|(?<![\w/])(https?://[^\s)>\]]+)")
LIST_START = re.compile(r"^(\d+)[.)] ")
TITLED = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)


def pieces(text):
    """What a translation must keep: a multiset of (kind, text)."""
    found = Counter()
    for name, content in ROLE.findall(text):
        titled = TITLED.match(content)
        found[("role", name, titled.group(2) if titled else content)] += 1
    rest = ROLE.sub(" ", text)
    for code in CODE.findall(rest):
        found[("code", code)] += 1
    rest = CODE.sub(" ", rest)
    for math in DISPLAY_MATH.findall(rest):
        found[("math", " ".join(math.split()))] += 1
    rest = DISPLAY_MATH.sub(" ", rest)
    for math in INLINE_MATH.findall(rest):
        found[("math", " ".join(math.split()))] += 1
    for link in LINK.findall(rest):
        found[("link", link[0] or link[1])] += 1
    return found


def problems(path):
    """One line per entry that is untranslated, fuzzy, or loses or changes a piece."""
    with open(path, "rb") as f:
        catalog = read_po(f)
    out = []
    for message in catalog:
        if not message.id:
            continue
        if not message.string:
            out.append(f"untranslated: {message.id[:100]!r}")
        elif message.fuzzy:
            out.append(f"fuzzy: {message.id[:100]!r}")
        elif LIST_START.match(message.string):
            # Sphinx parses a translation on its own: "1. Title" becomes a numbered list, and a heading or
            # paragraph whose translation is not a paragraph stays in English.
            out.append(f"starts like a list item (write {LIST_START.match(message.string).group(1)}\\. ...): "
                       f"{message.string[:80]!r}")
        else:
            want, got = pieces(message.id), pieces(message.string)
            if want != got:
                lost = sorted((want - got).elements())
                extra = sorted((got - want).elements())
                out.append(f"changed pieces in {message.id[:80]!r}: lost {lost}, added {extra}")
    return out


def main(paths):
    paths = [Path(p) for p in paths] or sorted(LOCALE.rglob("*.po"))
    total = 0
    for path in paths:
        found = problems(path)
        total += len(found)
        for line in found:
            print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {line}")
    print(f"{len(paths)} catalogues, {total} problems")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
