"""What a teacher should know about a graded submission beyond its score: notes for the report.

- `untouched`: every answer cell is as released (the student handed in the exercise unchanged);
- `syntax-error`: an answer cell is not valid Python (its function then earns nothing);
- `late`: handed in after the due date (with the penalty nbgrader applied, rnngrade.late);
- `outdated`: handed in again after it was graded. `nbgrader autograde` skips a submission it graded already,
  so the grade is that of the earlier one until it is graded again with `--force`.

`untouched`, `syntax-error` and `late` explain a grade and need no action; `outdated` does (REVIEW).
"""

import datetime
import os
import warnings

import nbformat
from IPython.core.inputtransformer2 import TransformerManager
from nbgrader.utils import parse_utc

from .late import duration
from .submission import TIMESTAMP, kind_problem, timestamp_readable

REVIEW = {"outdated"}  # of the kinds here, the ones a teacher must act on
INFO = {"untouched", "syntax-error", "late"}


def answers(nb):
    """{grade_id: source} of a notebook's answer (solution) cells."""
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution") and "grade_id" in c.metadata["nbgrader"]}


def release_answers(root, assignment):
    path = root / "exercises" / assignment / f"{assignment}.ipynb"
    if kind_problem(path) is not None:
        return None
    return answers(nbformat.read(path, as_version=4))


def syntax_errors(nb):
    """The answer cells that are not valid Python (IPython's magics allowed), as "grade_id (line N)"."""
    bad = []
    transform = TransformerManager().transform_cell
    for cell in nb.cells:
        name = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or not cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # invalid escapes and the like are not syntax errors
                compile(transform(cell.source), name or "cell", "exec")
        except SyntaxError as err:
            bad.append(f"{name} (line {err.lineno})")
    return bad


def submitted_at(folder):
    """The latest time the submission folder says it was handed in: its timestamp.txt's, else its notebook
    file's modification time (a POSIX time, or None). Follows no link."""
    times = []
    if timestamp_readable(folder):
        try:  # nbgrader's times are naive UTC
            stamp = parse_utc((folder / TIMESTAMP).read_text().strip())
            times.append(stamp.replace(tzinfo=datetime.UTC).timestamp())
        except (ValueError, OverflowError, OSError):
            pass
    for entry in folder.glob("*.ipynb"):
        if kind_problem(entry) is None:
            times.append(os.lstat(entry).st_mtime)
    return max(times) if times else None


def notes(root, assignment, student, nb, late, graded_at):
    """The notes (flags) for a graded submission. nb: its autograded notebook; late: rnngrade.late.lateness;
    graded_at: when its grading finished (a POSIX time), or None."""
    found = []
    released = release_answers(root, assignment)
    if released is not None and answers(nb) == released:
        found.append({"kind": "untouched", "reason": "handed in as released: no answer was written"})
    bad = syntax_errors(nb)
    if bad:
        found.append({"kind": "syntax-error", "reason": f"not valid Python: {', '.join(bad)}"})
    if late and late["late_by"] is not None:
        extension = f", with an extension of {duration(late['extension'])}" if late["extension"] else ""
        found.append({"kind": "late", "reason": f"handed in {duration(late['late_by'])} late{extension}: "
                      f"{late['penalty']:g} point(s) off"})
    handed_in = submitted_at(root / "submitted" / student / assignment)
    if graded_at is not None and handed_in is not None and handed_in > graded_at + 1:
        found.append({"kind": "outdated", "reason": "handed in again after it was graded: the grade is the earlier "
                      f"submission's; run `nbgrader autograde {assignment} --student={student} --force`"})
    return found
