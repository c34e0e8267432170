"""Late work, grades for an LMS and the class summary, for one small class of ex03_gates.

Due 2025-03-01 12:00 UTC; the policy (given on the command line, as nbgrader_config.py would set it) takes 10 %
of the notebook's 15 points per started day late, at most 50 %. The class:

- ontime: handed in an hour early, hidden_state without its tanh (a catalogued mistake): 13;
- late: 25 hours late (two started days: 3 points off), the same mistake: 13 - 3 = 10;
- very_late: 9 days late, all right: 15 - 7.5 (the cap) = 7.5;
- extended: 30 hours late with an extension of 48 hours: 15;
- untouched: the release handed in unchanged: 0;
- absent: on the roster (with an LMS id), handed in nothing: not graded.
"""

import csv
import os
import subprocess
import sys

import nbformat
import pytest
from exercise_course import completed, nbgrader, new_course, release_notebook, submit
from nbgrader.api import Gradebook

from rnngrade.late import LatePenalty, extension_for, read_extensions
from rnngrade.notes import syntax_errors

pytestmark = pytest.mark.batch  # grades a class with nbgrader

A = "ex03_gates"
DUE = "2025-03-01 12:00:00 UTC"
POLICY = ["--LatePenalty.per=day", "--LatePenalty.rate=0.1", "--LatePenalty.unit=fraction", "--LatePenalty.cap=0.5"]
LIMITS = ["--SandboxedExecute.timeout=20", "--SandboxedExecute.notebook_timeout=120"]
NO_TANH = "def hidden_state(o_t, C_t):\n    return o_t * C_t\n"
TANH_HINT = "h_t = o_t * tanh(C_t): the tanh is missing"
HANDED_IN = {"ontime": "2025-03-01 11:00:00", "late": "2025-03-02 13:00:00", "very_late": "2025-03-10 12:00:00",
             "extended": "2025-03-02 18:00:00", "untouched": "2025-03-01 10:00:00"}
FUNCTIONS = ["forget_gate", "input_gate", "candidate_cell", "cell_update", "output_gate", "hidden_state",
             "lstm_step_forward"]


def test_the_penalty_per_started_period_is_capped():
    day = 86400
    policy = LatePenalty(per="day", rate=0.1, unit="fraction", cap=0.5)
    assert [policy.penalty(s, 15) for s in (0, 1, day, day + 1, 9 * day)] == [0, 1.5, 1.5, 3, 7.5]
    points = LatePenalty(per="hour", rate=1, unit="points", cap=None, grace_minutes=10)
    assert [points.penalty(s, 15) for s in (600, 601, 3 * 3600 + 600)] == [0, 1, 3]


def test_extensions_are_hours_or_a_new_due_date(tmp_path):
    import datetime

    path = tmp_path / "extensions.csv"
    path.write_text("student_id,assignment,extension\nann,ex03_gates,48\nbob,,2025-03-03 12:00:00 UTC\n")
    found, due = read_extensions(path), datetime.datetime(2025, 3, 1, 12)
    assert extension_for(found, "ann", A, due) == datetime.timedelta(hours=48)
    assert extension_for(found, "ann", "ex04_lstm_backprop", due) is None
    assert extension_for(found, "bob", A, due) == datetime.timedelta(days=2)


def test_syntax_errors_are_named_by_cell():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("def f(:\n", metadata={"nbgrader": {"solution": True, "grade_id": "f"}}),
        nbformat.v4.new_code_cell("%time g = 1\n", metadata={"nbgrader": {"solution": True, "grade_id": "g"}})])
    assert syntax_errors(nb) == ["f (line 1)"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = new_course(tmp_path_factory.mktemp("late"), A)
    nbgrader(course, "db", "assignment", "add", A, f"--duedate={DUE}")
    nbgrader(course, "db", "student", "add", "ontime", "--last-name=Doe", "--first-name=Jane", "--lms-user-id=12345")
    nbgrader(course, "db", "student", "add", "absent", "--last-name=Roe", "--first-name=Ray", "--lms-user-id=999")
    (course / "extensions.csv").write_text("student_id,assignment,extension\nextended,ex03_gates,48\n")
    for student, when in HANDED_IN.items():
        nb = {"ontime": completed(course, A, {"hidden_state": NO_TANH}),
              "late": completed(course, A, {"hidden_state": NO_TANH}),
              "untouched": release_notebook(course, A)}.get(student) or completed(course, A)
        folder = submit(course, A, student, nb)
        (folder / "timestamp.txt").write_text(f"{when}.000000 UTC")
    nbgrader(course, "autograde", A, *POLICY, *LIMITS)
    with open(course / "nbgrader_config.py", "a") as f:
        f.write('\nc.RnnExport.canvas_columns = {"ex03_gates": "LSTM gates (4321)"}\n')
    nbgrader(course, "export", "--to=wide.csv")
    nbgrader(course, "export", "--to=canvas.csv", "--RnnExport.canvas=True")
    return course


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_penalties_are_applied_as_configured(graded):
    with Gradebook(f"sqlite:///{graded / 'gradebook.db'}") as gb:
        got = {s.student_id: (s.score, s.late_submission_penalty) for s in gb.assignment_submissions(A)}
        extension = gb.find_submission(A, "extended").extension
    assert got == {"ontime": (13, 0), "late": (13, 3), "very_late": (15, 7.5), "extended": (15, 0),
                   "untouched": (0, 0)}
    assert extension.total_seconds() == 48 * 3600  # nbgrader's own extension, from extensions.csv


def test_the_report_states_times_penalties_and_extensions(graded):
    with open(graded / "reports" / f"{A}.csv", newline="") as f:
        report = {row["student"]: row for row in csv.DictReader(f)}
    assert {s: float(r["score"]) for s, r in report.items()} == {"ontime": 13, "late": 10, "very_late": 7.5,
                                                                 "extended": 15, "untouched": 0}
    assert report["late"]["handed_in"] == "2025-03-02 13:00 UTC, 1 d 1 h late, 3 off"
    assert report["very_late"]["handed_in"] == "2025-03-10 12:00 UTC, 9 d late, 7.5 off"
    assert report["extended"]["handed_in"] == "2025-03-02 18:00 UTC, on time with its extension 2 d"
    assert report["ontime"]["handed_in"] == "2025-03-01 11:00 UTC"
    assert "late: handed in 1 d 1 h late: 3 point(s) off" in report["late"]["flags"]
    assert "untouched" in report["untouched"]["flags"] and "late" not in report["extended"]["flags"]
    assert all(r["review"] == "" for r in report.values()), report  # notes that explain a grade need no review


def test_the_class_summary_counts_right_answers_and_mistakes(graded):
    text = (graded / "reports" / f"{A}.md").read_text()
    summary = text.split("## Class summary")[1].split("## Students")[0]
    rows = {line.split("|")[1].strip(): line.split("|")[2:4] for line in summary.splitlines()
            if line.startswith("| ") and not line.startswith("| function")}
    assert list(rows) == FUNCTIONS
    assert rows["hidden_state"][0].strip() == "2 / 5"
    assert f"2 × {TANH_HINT}" in rows["hidden_state"][1] and "1 × not attempted" in rows["hidden_state"][1]
    assert all(rows[f][0].strip() == "4 / 5" and "1 × not attempted" in rows[f][1] for f in FUNCTIONS
               if f != "hidden_state")
    assert "Flags: 2 late, 1 untouched." in text


def test_the_wide_export_has_a_row_per_student_blank_when_not_graded(graded):
    header, *rows = read_csv(graded / "wide.csv")
    assert header == ["student_id", "lms_user_id", "last_name", "first_name", *FUNCTIONS, "late_penalty", "total",
                      "max_score", "not_graded"]
    got = {row[0]: row[1:] for row in rows}
    assert got == {
        "ontime": ["12345", "Doe", "Jane", "2", "2", "2", "2", "2", "0", "3", "0", "13", "15", ""],
        "late": ["", "", "", "2", "2", "2", "2", "2", "0", "3", "3", "10", "15", ""],
        "very_late": ["", "", "", "2", "2", "2", "2", "2", "2", "3", "7.5", "7.5", "15", ""],
        "extended": ["", "", "", "2", "2", "2", "2", "2", "2", "3", "0", "15", "15", ""],
        "untouched": ["", "", "", "0", "0", "0", "0", "0", "0", "0", "0", "0", "15", ""],
        "absent": ["999", "Roe", "Ray", "", "", "", "", "", "", "", "", "", "15", "not submitted"],
    }


def test_the_canvas_export_is_canvas_gradebook_csv(graded):
    header, points, *rows = read_csv(graded / "canvas.csv")
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "LSTM gates (4321)"]
    assert points == ["    Points Possible", "", "", "", "", "15"]
    assert sorted(rows) == sorted([["Doe, Jane", "12345", "", "", "", "13"], ["late", "late", "", "", "", "10"],
                                   ["very_late", "very_late", "", "", "", "7.5"],
                                   ["extended", "extended", "", "", "", "15"],
                                   ["untouched", "untouched", "", "", "", "0"], ["Roe, Ray", "999", "", "", "", ""]])


def test_a_submission_handed_in_again_after_grading_is_flagged_out_of_date(graded):
    notebook = graded / "submitted" / "extended" / A / f"{A}.ipynb"
    later = os.stat(graded / "autograded" / "extended" / A / ".rnngrade-complete").st_mtime + 60
    os.utime(notebook, (later, later))  # handed in again, and not graded since
    subprocess.run([sys.executable, "-m", "rnngrade.report", A], cwd=graded, check=True, capture_output=True)
    with open(graded / "reports" / f"{A}.csv", newline="") as f:
        report = {row["student"]: row for row in csv.DictReader(f)}
    assert report["extended"]["review"] == "yes" and "outdated: handed in again" in report["extended"]["flags"]
    assert report["ontime"]["review"] == ""
