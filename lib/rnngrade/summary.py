"""The class summary at the top of the report: per graded function, how many got it right, and the mistakes
the grader diagnosed most often (the hints of rnngrade.mistakes), which say what to revisit in class.

A function is the `<function>_tests` grade cell of the notebook. Its diagnosis is read from the cell's
outputs in the autograded notebook, where rnngrade.nbgrader.VerifyChecks left one error listing what failed.
"""

import re
from collections import Counter

from .mistakes import mistakes_for

SUFFIX = "_tests"
CASE = re.compile(r"^case \d+ \{[^}]*\}: ")
RAISED = re.compile(r"\(the cell raised (\w+)")
SHOWN = 3  # mistakes listed per function


def function_of(grade_id):
    return grade_id[: -len(SUFFIX)] if grade_id.endswith(SUFFIX) else grade_id


def failure_text(nb, grade_id):
    """The failure messages the grader left in a test cell, or "" if it has none."""
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return "\n".join(o.get("evalue", "") for o in cell.get("outputs", []) if o.get("output_type") == "error")
    return ""


def diagnoses(function, text):
    """The causes a test cell's failure text names: catalogued hints first; otherwise one general cause."""
    hints = [m.hint for m in mistakes_for(function) if m.hint in text]
    if hints:
        return list(dict.fromkeys(hints))
    if "NotImplementedError" in text:
        return ["not attempted (the stub raises NotImplementedError)"]
    raised = RAISED.search(text)
    if raised:
        return [f"raised {raised[1]}"]
    if "did not run" in text:
        return ["the check did not run to the end"]
    lines = [CASE.sub("", line) for line in text.splitlines() if line.strip()]
    if any("shape" in line for line in lines):
        return ["wrong shape"]
    return ["wrong values (no catalogued mistake matches)"] if lines else ["no points (no diagnosis)"]


def functions(grades, nb):
    """{function: None if right, else the causes diagnosed} for one graded student, in the notebook's order.
    grades: {grade_id: (score, max_score)}; nb: the autograded notebook."""
    return {function_of(grade_id): None if score is not None and score >= max_score
            else diagnoses(function_of(grade_id), failure_text(nb, grade_id))
            for grade_id, (score, max_score) in grades.items()}


def summarize(per_student):
    """per_student: functions() of every graded student. [{function, right, of, mistakes: [(cause, count)]}]."""
    order, right, of, causes = [], Counter(), Counter(), {}
    for results in per_student:
        for function, found in results.items():
            if function not in causes:
                order.append(function)
                causes[function] = Counter()
            of[function] += 1
            if found is None:
                right[function] += 1
            else:
                causes[function].update(found)
    return [{"function": f, "right": right[f], "of": of[f], "mistakes": causes[f].most_common(SHOWN)}
            for f in order]


def summary_lines(summary, escape):
    """The summary as Markdown lines; `escape` makes text safe for a table cell."""
    if not summary:
        return []
    lines = ["## Class summary", "", "| function | right | most common mistakes |", "|---|---|---|"]
    for row in summary:
        mistakes = "<br>".join(f"{count} × {escape(cause)}" for cause, count in row["mistakes"])
        lines.append(f"| {row['function']} | {row['right']} / {row['of']} | {mistakes} |")
    return [*lines, ""]


def cell_grades(gb, assignment, student):
    """{grade_id: (score, max_score)} of a student's submission, in the notebooks' order; score None where the
    cell was never graded. {} with no submission."""
    from nbgrader.api import MissingEntry

    try:
        submission = gb.find_submission(assignment, student)
    except MissingEntry:
        return {}
    grades = {}
    for notebook in submission.notebooks:
        order = {c.name: k for k, c in enumerate(notebook.notebook.source_cells)}
        for grade in sorted(notebook.grades, key=lambda g: order.get(g.name, len(order))):
            graded = grade.manual_score is not None or grade.auto_score is not None
            grades[grade.name] = (grade.score if graded else None, grade.max_score)
    return grades


def flag_counts(table):
    """One line counting the submissions with each kind of flag, or []."""
    counts = Counter(kind for r in table for kind in dict.fromkeys(f["kind"] for f in r["flags"]))
    if not counts:
        return []
    return ["Flags: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) + ".", ""]
