"""LMS downloads: `nbgrader zip_collect` then `nbgrader autograde`, with the course's configuration only.

Canvas's and Moodle's "download all submissions" zips are built here with their file names (rnngrade.collect),
put where nbgrader expects downloads (downloaded/ASSIGNMENT/archive/), collected and graded.
"""

import os
import shutil
import zipfile

import nbformat
import pytest
from exercise_course import ROOT, cell_scores, completed, nbgrader

from rnngrade.collect import parse, safe_id

A = "ex03_gates"
FULL = 15


@pytest.mark.parametrize("name, student, file, attempt", [
    ("doejane_12345_67890_ex03_gates.ipynb", "12345", "ex03_gates.ipynb", 0),
    ("doejane_LATE_12345_67890_ex03_gates.ipynb", "12345", "ex03_gates.ipynb", 0),
    ("doejane_12345_67890_ex03_gates-2.ipynb", "12345", "ex03_gates-2.ipynb", 2),
    ("Jane Roe_1234567_assignsubmission_file_ex03_gates.ipynb", "1234567", "ex03_gates.ipynb", 0),
    (os.path.join("Jane Roe_1234567_assignsubmission_file_", "ex03_gates.ipynb"), "1234567", "ex03_gates.ipynb", 0),
])
def test_names_of_canvas_and_moodle(name, student, file, attempt):
    info = parse(name)
    assert (info["student_id"], info["file"], info["attempt"]) == (student, file, attempt)


def test_other_names_are_not_collected():
    assert parse("ex03_gates.ipynb") is None
    assert parse("doejane_x_67890_ex03_gates.ipynb") is None


@pytest.mark.parametrize("text", ["", ".", "..", "a/b", "/etc", "../x", "a\nb", "-rf"])
def test_ids_that_would_be_unsafe_paths_are_refused(text):
    assert not safe_id(text)


def written(nb):
    return nbformat.writes(nb).encode()


@pytest.mark.batch
def test_canvas_and_moodle_downloads_are_collected_and_graded(tmp_path):
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / A, course / "solutions" / A)
    shutil.copytree(ROOT / "exercises" / A, course / "exercises" / A)  # as committed: no generate_assignment
    solved, untouched = written(completed(course, A)), (course / "exercises" / A / f"{A}.ipynb").read_bytes()
    archive = course / "downloaded" / A / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "submissions.zip", "w") as z:  # Canvas: one zip, flat
        z.writestr(f"doejane_12345_67890_{A}.ipynb", untouched)
        z.writestr(f"doejane_12345_67891_{A}-1.ipynb", solved)  # handed in again: this one counts
        z.writestr(f"smithjohn_LATE_23456_67892_{A}.ipynb", untouched)
        z.writestr("smithjohn_LATE_23456_67892_notes.txt", b"not a notebook")
    with zipfile.ZipFile(archive / "moodle.zip", "w") as z:  # Moodle: a folder per student
        z.writestr(f"Jane Roe_1234567_assignsubmission_file_/{A}.ipynb", solved)

    nbgrader(course, "zip_collect", A)
    submitted = {p.parent.name: sorted(os.listdir(p)) for p in (course / "submitted").glob(f"*/{A}")}
    assert submitted == {"12345": [f"{A}.ipynb"], "23456": [f"{A}.ipynb"], "1234567": [f"{A}.ipynb"]}

    nbgrader(course, "autograde", A)
    totals = {student: sum(cells.values()) for student, cells in cell_scores(course, A).items()}
    assert totals == {"12345": FULL, "23456": 0, "1234567": FULL}
    report = (course / "reports" / f"{A}.csv").read_text()
    assert all(line.split(",")[3] == "" for line in report.splitlines()[1:]), report  # nothing to review
