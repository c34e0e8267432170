"""The student edition of the book (`make book`, _build/html) shows no function a student writes in an exercise;
the instructor edition (`make book-instructor`, _build/instructor/html) shows them all.

"The body" of a function is what its solution cell writes under its docstring. Lines are compared with comments
and all whitespace removed. A body of two or more substantial lines counts as shown when any two of them that
follow each other in the solution follow each other on a page; a body of one substantial line (say
`return f_t * C_prev + i_t * C_tilde_t`) when a line returns or assigns its expression. Lines such as `return ss,
cache` or `else:` are too common to count.
"""

import html
import importlib
import inspect
import json
import pkgutil
import re
import textwrap
from pathlib import Path

import pytest

import rnnlib
from rnnbook.exercises import exercise_body, exercise_functions

pytestmark = pytest.mark.book  # reads the built book: `make book` first

ROOT = Path(__file__).resolve().parents[1]
STUDENT = ROOT / "_build" / "html"
INSTRUCTOR = ROOT / "_build" / "instructor" / "html"
TEXT_SUFFIXES = {".html", ".md", ".ipynb", ".txt", ".py"}
SKIPPED = {"_static", "_images"}  # the theme's and MathJax's files, figures
# Functions whose solution is also how the library writes them, and which a chapter shows in full
# in the instructor edition: if the scan cannot find these there, it cannot find anything.
SHOWN_IN_INSTRUCTOR_EDITION = {"rnn_step_forward", "cell_update", "hidden_state", "lstm_step_backward"}


# Lines of the library that check arguments (the same in many functions), not part of an answer.
ARGUMENT_CHECK = re.compile(r"(dims=Shapes\(\)|dims\.check|check_\w+\(|require_\w+\(|raiseValueError)")


def normalise(line):
    """A line of code without its comment and without any whitespace."""
    return re.sub(r"\s+", "", re.sub(r"(^|\s)#.*$", "", line))


def substantial(line):
    """Not a line every function could have: `else:`, `return ss, cache`, `pass`, a lone name."""
    return len(line) >= 12 and not re.fullmatch(r"(return)?[\w,.()\[\]]*:?", line)


def body_signature(body_lines):
    """(pairs, expression): the consecutive substantial line pairs of a body, or the expression of a one-line
    body; None when the body has nothing substantial (nothing to give away)."""
    lines = [n for n in map(normalise, body_lines) if substantial(n) and not ARGUMENT_CHECK.match(n)]
    if len(lines) >= 2:
        return set(zip(lines, lines[1:], strict=False)), None
    if len(lines) == 1 and len(expr := re.sub(r"^(return|\w+=)", "", lines[0])) >= 10:
        return None, expr
    return None


def library_twin(name):
    """The body lines of rnnlib's own function of that name (the library implements every exercise)."""
    for info in pkgutil.walk_packages(rnnlib.__path__, "rnnlib."):
        function = getattr(importlib.import_module(info.name), name, None)
        if inspect.isfunction(function) and function.__module__ == info.name:
            return exercise_body(textwrap.dedent(inspect.getsource(function)), name)
    return []


def signatures():
    """{function name: [body signatures]}: the solution's body and the library's."""
    found = {}
    for name, function in exercise_functions().items():
        sigs = [sig for body in (function.body_lines(), library_twin(name)) if (sig := body_signature(body))]
        found[name] = sigs
    return found


def page_texts(site):
    """Every text a reader can get from the built book: pages, their sources, downloadable notebooks."""
    for path in sorted(site.rglob("*")):
        if path.suffix not in TEXT_SUFFIXES or not path.is_file() or SKIPPED & set(path.relative_to(site).parts):
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".html":
            text = html.unescape(re.sub(r"<[^>]+>", "", text))
        elif path.suffix == ".ipynb":
            text = "\n".join(_notebook_strings(json.loads(text)))
        yield path.relative_to(site), text


def _notebook_strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        # a list of strings is a source or an output split in lines
        if all(isinstance(s, str) for s in node):
            yield "".join(node)
        else:
            for item in node:
                yield from _notebook_strings(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _notebook_strings(value)


def shown_bodies(site):
    """{function name: [pages that show its body]} over the built book in `site`."""
    sigs = signatures()
    shown = {}
    for page, text in page_texts(site):
        lines = [n for n in map(normalise, text.splitlines()) if n and substantial(n)]
        pairs = set(zip(lines, lines[1:], strict=False))
        for name, body_sigs in sigs.items():
            if any((body_pairs and body_pairs & pairs) or (expr and _computes(expr, lines))
                   for body_pairs, expr in body_sigs):
                shown.setdefault(name, []).append(str(page))
    return shown


def _computes(expr, lines):
    """Whether a line of code returns or assigns `expr` (a docstring's equation that reads alike is no code)."""
    code = re.compile(r"(return|[\w\[\],]+=)" + re.escape(expr))
    return any(code.fullmatch(line) for line in lines if expr in line)


def test_every_exercise_function_has_a_body_to_look_for():
    sigs = signatures()
    assert all(len(sigs[name]) == 2 for name in sigs), [name for name in sigs if len(sigs[name]) < 2]


def test_student_edition_shows_no_body_of_an_exercise_function():
    if not (STUDENT / "index.html").exists():
        pytest.fail("_build/html is missing: run `make book` first")
    assert shown_bodies(STUDENT) == {}


def test_instructor_edition_shows_the_bodies():
    if not (INSTRUCTOR / "index.html").exists():
        pytest.skip("_build/instructor/html is missing: `make book-instructor` builds the instructor edition")
    shown = shown_bodies(INSTRUCTOR)
    assert SHOWN_IN_INSTRUCTOR_EDITION <= set(shown), SHOWN_IN_INSTRUCTOR_EDITION - set(shown)
