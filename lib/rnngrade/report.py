"""The grading report: per student, the score, and every flag with its reason.

`nbgrader autograde` rewrites it after each submission it grades (a post-convert hook; parallel gradings,
rnngrade.parallel, write it once at the end instead); to write it again, for example after a batch in which
the last submission could not be read:

    python -m rnngrade.report ASSIGNMENT          (from the course's root folder)

It writes reports/ASSIGNMENT.csv and reports/ASSIGNMENT.md and prints the table.
"""

import argparse
import csv
import html
import json
import os
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry

from .database import db_url
from .gradebook import NotInGradebook, not_in_gradebook
from .late import handed_in, lateness
from .notes import INFO, notes
from .submission import entries, folder_problem, name_problem, notebook_problem, shown
from .summary import cell_grades, flag_counts, functions, summarize, summary_lines

# Left in a submission's autograded folder once it is fully graded (see rnngrade.autograde).
COMPLETE = ".rnngrade-complete"
# Set to "0" by the parallel runs, whose gradings must not rewrite the report each (it is written at the end).
REPORT_EACH = "RNNGRADE_REPORT"


def submission_problem(folder, assignment):
    """Why nbgrader could not grade a submission folder, or None if nothing is wrong with its files.
    Reads nothing a link points to, and no file that is not plain (rnngrade.submission)."""
    expected = folder / f"{assignment}.ipynb"
    why = folder_problem(folder)
    if why:
        return f"{why}; the submission was not read"
    if not os.path.lexists(expected):
        found = [name for name, _ in entries(folder, keep=())][:20]
        return f"no {expected.name} (found: {', '.join(found) or 'nothing'})"
    why = notebook_problem(expected)
    if why:
        return why
    try:
        json.loads(expected.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return f"{expected.name} is not valid JSON ({err})"
    try:
        nbformat.validate(nbformat.read(expected, as_version=4))
    except Exception as err:  # any reason nbformat refuses it
        return f"{expected.name} is not a valid notebook ({str(err).splitlines()[0]})"
    return None


def rows(root, assignment):
    root = Path(root)
    students = sorted(p.name for p in (root / "submitted").iterdir()
                      if (p / assignment).is_dir()) if (root / "submitted").is_dir() else []
    table = []
    with Gradebook(db_url(root)) as gb:
        try:
            max_score = gb.find_assignment(assignment).max_score
        except MissingEntry:
            raise not_in_gradebook(assignment) from None
        for student in students:
            graded = root / "autograded" / student / assignment / f"{assignment}.ipynb"
            flags, limits = [], []
            if name_problem(student):  # nbgrader left it out; the gradebook cannot hold its name
                table.append({"student": shown(student), "score": None, "max_score": max_score, "review": "yes",
                              "flags": [{"kind": "not-graded", "reason": name_problem(student)}]})
                continue
            try:
                submission = gb.find_submission(assignment, student) if graded.exists() else None
            except MissingEntry:
                submission = None
            score, late, results = None if submission is None else submission.score, None, None
            if graded.exists():
                nb = nbformat.read(graded, as_version=4)
                meta = nb.metadata.get("rnngrade", {})
                flags, limits = meta.get("flags", []), meta.get("limits", [])
                mark = graded.parent / COMPLETE
                if not mark.exists():
                    flags = flags + [{"kind": "interrupted", "reason": "its grading was cut off: run "
                                      f"`python -m rnngrade.autograde {assignment}` to grade it again"}]
                if submission is not None:  # the score is after the late penalty, as the student gets it
                    late = lateness(gb, assignment, student)
                    score = max(0.0, score - late["penalty"])
                    results = functions(cell_grades(gb, assignment, student), nb)
                    graded_at = mark.stat().st_mtime if mark.exists() else None
                    flags = flags + notes(root, assignment, student, nb, late, graded_at)
            else:
                problem = submission_problem(root / "submitted" / student / assignment, assignment)
                flags = [{"kind": "not-graded", "reason": problem or "nbgrader could not grade it: see its log"}]
            # Notes that explain a grade (late, untouched, a syntax error) ask for no review.
            review = "yes" if any(f["kind"] not in INFO for f in flags) else ""
            table.append({"student": student, "score": score, "max_score": max_score, "review": review,
                          "flags": flags, "limits": limits, "late": late, "functions": results})
    return table


def write_report(root, assignment):
    root = Path(root)
    table = rows(root, assignment)
    out = root / "reports"
    out.mkdir(exist_ok=True)
    part = out / f".{assignment}.csv.{os.getpid()}"  # replaced at once: a reader never sees half a report
    with open(part, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "score", "max_score", "review", "flags", "limits", "handed_in", "late_penalty"])
        for r in table:
            late = r.get("late")
            writer.writerow([r["student"], "" if r["score"] is None else r["score"], r["max_score"], r["review"],
                             "; ".join(_flag_text(flag) for flag in r["flags"]), "; ".join(r.get("limits", [])),
                             handed_in(late) if late else "", late["penalty"] if late else ""])
    os.replace(part, out / f"{assignment}.csv")
    summary = summarize([r["functions"] for r in table if r.get("functions")])
    lines = [f"# Grading report: {assignment}", "", *summary_lines(summary, _md), *flag_counts(table),
             *_limits_summary(table), "## Students", "",
             "| student | score | handed in | review | flags | limits |", "|---|---|---|---|---|---|"]
    for r in table:
        score = "not graded" if r["score"] is None else f"{r['score']:g} / {r['max_score']:g}"
        when = handed_in(r["late"]) if r.get("late") else ""
        lines.append(f"| {_md(r['student'])} | {score} | {when} | {r['review']} | "
                     f"{'<br>'.join(_md(_flag_text(f)) for f in r['flags'])} | {'<br>'.join(r.get('limits', []))} |")
    part = out / f".{assignment}.md.{os.getpid()}"
    part.write_text("\n".join(lines) + "\n")
    os.replace(part, out / f"{assignment}.md")
    return table


def _md(text):
    """Text from a submission (file names, a student id) shown as text in a Markdown table, never as markup."""
    return html.escape(text).replace("|", "\\|").replace("`", "&#96;").replace("\n", " ")


def _limits_summary(table):
    """Which limits held the kernels (each submission's are in its last column); loud where they were weak."""
    held = sorted({text for r in table for text in r.get("limits", [])})
    if not held:
        return []
    lines = [f"Limits on memory and processes: {'; '.join(held)}.", ""]
    if any(text.startswith("WEAK") for text in held):
        lines = ["**Warning: kernels ran as root without cgroups: nothing limited their processes, so a fork bomb "
                 "was not contained. Grade where cgroups can be made, or as root with `setpriv` (util-linux) "
                 "installed, which starts each kernel as a user of its own.**", "", *lines]
    return lines


def _flag_text(flag):
    where = f" [{flag['cell']}]" if "cell" in flag else ""
    return f"{flag['kind']}{where}: {flag['reason']}"


def post_convert_hook(assignment, student, notebooks):
    """nbgrader's post-convert hook: mark the submission as fully graded, and bring the report up to date.

    nbgrader passes the ids of its command line (possibly "*"): the submission's own come from its path,
    submitted/<student>/<assignment>/<notebook>.ipynb.
    """
    submission = Path(notebooks[0]).parent
    student, assignment = submission.parent.name, submission.name
    folder = Path.cwd() / "autograded" / student / assignment
    if folder.is_dir():
        (folder / COMPLETE).touch()
    if os.environ.get(REPORT_EACH) != "0":
        write_report(Path.cwd(), assignment)


def main():
    parser = argparse.ArgumentParser(description="Write the grading report of an assignment.")
    parser.add_argument("assignment")
    parser.add_argument("--root", default=".", help="the course's root folder (default: here)")
    args = parser.parse_args()
    try:
        table = write_report(args.root, args.assignment)
    except NotInGradebook as err:
        raise SystemExit(str(err)) from None
    for r in table:
        score = "not graded" if r["score"] is None else f"{r['score']:g}/{r['max_score']:g}"
        print(f"{r['student']:20} {score:>12}  {'; '.join(_flag_text(f) for f in r['flags'])}")


if __name__ == "__main__":
    main()
