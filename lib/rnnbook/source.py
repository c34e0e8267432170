"""Show the source code of library objects inside a notebook.

Chapters display `rnnlib` code through :func:`show_source` instead of copying it, so that what the book
shows is always what the library runs.

The book has two editions. In the student edition (the default, the one published) a function that students
write in an exercise is shown as its signature and docstring, with a link to that exercise; the instructor
edition (``RNNBOOK_EDITION=instructor``, set by ``make book-instructor``) shows every function in full.

The library is written 120 characters wide, wider than the book's column, so a listing wraps a long line
instead of scrolling: the rest of the line continues on the next rows, indented four columns deeper than
the line itself, so that a continuation never looks like a statement of its own. Copying a listing still
gives the library's lines unchanged.
"""

import ast
import html
import inspect
import os
import re
import textwrap

from rnnbook.exercises import exercise_of

EDITION_VARIABLE = "RNNBOOK_EDITION"
EDITIONS = ("student", "instructor")


def edition():
    """"student" or "instructor", from the environment; anything unset means the published, student one."""
    value = os.environ.get(EDITION_VARIABLE, "") or "student"
    if value not in EDITIONS:
        raise ValueError(f"{EDITION_VARIABLE} must be one of {EDITIONS}, got {value!r}")
    return value


def _hidden(obj):
    """The exercise whose answer `obj` is, when this edition must not show its body; else None."""
    return exercise_of(obj) if edition() == "student" else None


def _signature_only(src, exercise):
    """`src` (a dedented function) cut after its docstring, with a line that says whose body it is."""
    node = ast.parse(src).body[0]
    first = node.body[0]
    has_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
        and isinstance(first.value.value, str)
    lines = src.splitlines()
    kept = lines[:first.end_lineno] if has_doc else lines[:first.lineno - 1]
    indent = " " * first.col_offset
    return "\n".join(kept + [f"{indent}# The body is yours to write in exercise {exercise.assignment}."])


def get_source(*objs):
    """Return the source code of one or more functions, classes or modules as one string.

    Several objects are separated by a blank line, in the order given.
    """
    if not objs:
        raise ValueError("get_source needs at least one function, class or module, got none")
    parts = []
    for obj in objs:
        try:
            src = inspect.getsource(obj)
        except (TypeError, OSError) as err:
            raise ValueError(f"cannot find the source of {obj!r}: {err}") from err
        src = textwrap.dedent(src).rstrip("\n")
        exercise = _hidden(obj)
        parts.append(_signature_only(src, exercise) if exercise else src)
    return "\n\n\n".join(parts) + "\n"


def exercise_notes(*objs):
    """One sentence per exercise whose answers `objs` hold, in this edition: [(text, page, title)]."""
    notes, seen = [], {}
    for obj in objs:
        if exercise := _hidden(obj):
            seen.setdefault(exercise.assignment, (exercise.title, []))[1].append(exercise.name)
    for assignment, (title, names) in seen.items():
        listed = ", ".join(f"`{n}`" for n in dict.fromkeys(names))
        notes.append((f"The body of {listed} is yours to write in", f"../exercises/{assignment}/{assignment}.html",
                      title))
    return notes


def _notes_html(notes):
    def code(text):  # `name` -> <code>name</code>
        parts = html.escape(text).split("`")
        return "".join(f"<code>{p}</code>" if k % 2 else p for k, p in enumerate(parts))
    return "".join(f'<p class="exercise-note">{code(text)} <a href="{html.escape(page)}">{html.escape(title)}</a>.</p>'
                   for text, page, title in notes)


# A listing's lines wrap; each continuation row starts CONTINUATION columns right of its line's indentation.
CONTINUATION = 4
_LISTING_STYLE = (
    "<style>div.highlight.rnnbook-listing pre {white-space: pre-wrap; overflow-wrap: anywhere}"
    " div.highlight.rnnbook-listing pre > span.listing-line {display: block}</style>"
)


def listing_html(src):
    """`src` highlighted as HTML whose long lines wrap with a hanging indent (see the module's docstring)."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    out = highlight(src, PythonLexer(), HtmlFormatter(linespans="listing-line"))
    lines = src.split("\n")

    def line(match):
        k = int(match.group(1)) - 1
        hang = len(lines[k]) - len(lines[k].lstrip(" ")) + CONTINUATION
        return f'<span class="listing-line" style="padding-left: {hang}ch; text-indent: -{hang}ch">'

    out = re.sub(r'<span id="listing-line-(\d+)">', line, out)
    return _LISTING_STYLE + out.replace('<div class="highlight">', '<div class="highlight rnnbook-listing">', 1)


def _listing(src):
    """An IPython ``Code`` object (plain text: the source) whose HTML is :func:`listing_html`."""
    from IPython.display import Code

    class Listing(Code):
        def _repr_html_(self):
            return listing_html(self.data)

    return Listing(src, language="python")


def show_source(*objs):
    """Display the source code of one or more library objects, syntax highlighted.

    In a notebook (or a Jupyter Book page) the code is shown as a highlighted Python block through
    ``IPython.display.Code``; outside IPython it is printed. Returns ``None`` so that nothing extra is
    echoed when it is the last line of a cell.

    Example::

        from rnnlib.lstm import forget_gate, input_gate
        show_source(forget_gate, input_gate)
    """
    src = get_source(*objs)
    notes = exercise_notes(*objs)
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:  # pragma: no cover - IPython is installed with the course
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(src, end="")
        for text, _, title in notes:
            print(f"# {text} {title}.")
    else:
        display(_listing(src))
        if notes:
            display(HTML(_notes_html(notes)))
    return None
