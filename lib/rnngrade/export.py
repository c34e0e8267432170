"""Grades for an LMS: `nbgrader export` (c.ExportApp.plugin_class = RnnExport) writes one row per student.

    nbgrader export --to grades.csv                          the course's wide format (below)
    nbgrader export --to canvas.csv --RnnExport.canvas=True  a CSV that Canvas's gradebook imports
    nbgrader export --assignment=ex03_gates ...              some assignments only (default: all)

The wide format: `student_id, lms_user_id, last_name, first_name`, then per assignment one column per graded
function (its `<function>_tests` cell's points), `late_penalty`, `total` (after the penalty), `max_score` and
`not_graded` (why, when it was not: not submitted, not graded, grading cut off). A student not graded has
blank scores, never 0, so a real zero stays apart. With several assignments each column is
`<assignment>:<column>`.

The Canvas format is that of Canvas's gradebook export and import: `Student` ("Last, First"), `ID` (the Canvas
user id: the roster's `lms_user_id`, else the student id, which `nbgrader zip_collect` takes from Canvas's
file names), `SIS User ID`, `SIS Login ID`, `Section` (left blank), then one column per assignment, its total; a
second row, `    Points Possible`, as in Canvas's own export, holds each assignment's maximum.
Canvas matches an assignment by its header `Name (canvas id)`: map the course's assignments to them with
`c.RnnExport.canvas_columns = {"ex03_gates": "LSTM gates (4321)"}`; a header Canvas does not know becomes a
new assignment. Blank cells leave Canvas's grade as it is.
"""

import csv
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Bool, Dict

from .report import COMPLETE
from .summary import cell_grades, function_of

CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS = "    Points Possible"  # as Canvas writes it


def not_graded(gb, assignment, student, root):
    """Why a student has no grade for an assignment, or "" when it is graded."""
    try:
        gb.find_submission(assignment, student)
    except MissingEntry:
        return "not submitted"
    grades = cell_grades(gb, assignment, student)
    if not grades or all(score is None for score, _ in grades.values()):
        return "not graded"
    folder = Path(root) / "autograded" / student / assignment
    if folder.is_dir() and not (folder / COMPLETE).exists():
        return "grading cut off"
    return ""


def grade_cells(gb, assignment):
    """The names of an assignment's grade cells, in the notebooks' order."""
    names = []
    for notebook in gb.find_assignment(assignment).notebooks:
        graded = {c.name for c in notebook.grade_cells}
        names += [c.name for c in notebook.source_cells if c.name in graded]
        names += sorted(graded - set(names))  # a grade cell with no source (not in this course)
    return names


def result(gb, assignment, student, root, cells):
    """{functions: {function: points or None}, penalty, total, max_score, not_graded} of one student.
    cells: grade_cells(gb, assignment)."""
    why = not_graded(gb, assignment, student, root)
    max_score = gb.find_assignment(assignment).max_score
    if why:
        return {"functions": {function_of(c): None for c in cells}, "penalty": None, "total": None,
                "max_score": max_score, "not_graded": why}
    submission = gb.find_submission(assignment, student)
    grades = cell_grades(gb, assignment, student)
    penalty = submission.late_submission_penalty or 0.0
    return {"functions": {function_of(c): grades.get(c, (None, None))[0] for c in cells}, "penalty": penalty,
            "total": max(0.0, submission.score - penalty), "max_score": max_score, "not_graded": ""}


def cell(value):
    return "" if value is None else f"{value:g}" if isinstance(value, float) else value


class RnnExport(ExportPlugin):
    """One row per student: the course's wide format, or Canvas's gradebook CSV (see rnngrade.export)."""

    canvas = Bool(False, help="write Canvas's gradebook CSV instead of the course's wide format").tag(config=True)
    canvas_columns = Dict({}, help="Canvas's column header (\"Name (id)\") of each assignment").tag(config=True)

    def export(self, gradebook):
        dest = self.to or ("canvas.csv" if self.canvas else "grades.csv")
        root = getattr(getattr(self.parent, "coursedir", None), "root", ".")
        assignments = [a.name for a in gradebook.assignments if not self.assignment or a.name in self.assignment]
        students = [s for s in gradebook.students if not self.student or s.id in self.student]
        cells = {a: grade_cells(gradebook, a) for a in assignments}
        results = {(a, s.id): result(gradebook, a, s.id, root, cells[a]) for a in assignments for s in students}
        rows = self.canvas_rows(assignments, students, results, gradebook) if self.canvas else \
            self.wide_rows(assignments, students, results, cells)
        self.log.info("Exporting grades of %d student(s) to %s", len(students), dest)
        with open(dest, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows)

    def wide_rows(self, assignments, students, results, cells):
        prefix = (lambda a: f"{a}:") if len(assignments) > 1 else (lambda a: "")
        header = ["student_id", "lms_user_id", "last_name", "first_name"]
        for a in assignments:
            names = [function_of(c) for c in cells[a]]
            header += [prefix(a) + n for n in [*names, "late_penalty", "total", "max_score", "not_graded"]]
        rows = [header]
        for s in students:
            row = [s.id, s.lms_user_id or "", s.last_name or "", s.first_name or ""]
            for a in assignments:
                r = results[a, s.id]
                row += [cell(v) for v in r["functions"].values()]
                row += [cell(r["penalty"]), cell(r["total"]), cell(r["max_score"]), r["not_graded"]]
            rows.append(row)
        return rows

    def canvas_rows(self, assignments, students, results, gradebook):
        # Canvas's own export has this second row; on import it gives a new assignment its points.
        rows = [CANVAS_HEADER + [self.canvas_columns.get(a, a) for a in assignments],
                [POINTS, "", "", "", ""] + [cell(gradebook.find_assignment(a).max_score) for a in assignments]]
        for s in students:
            name = ", ".join(p for p in (s.last_name, s.first_name) if p) or s.id
            rows.append([name, s.lms_user_id or s.id, "", "", ""] + [cell(results[a, s.id]["total"])
                                                                     for a in assignments])
        return rows
