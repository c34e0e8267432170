"""A throw-away nbgrader course in a temporary folder, for tests that release, submit and autograde."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

ROOT = Path(__file__).resolve().parents[1]
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def assignments():
    return sorted(p.name for p in (ROOT / "solutions").iterdir() if (p / f"{p.name}.ipynb").exists())


def nbgrader(course, *args):
    """Run an nbgrader command in `course`; its output is returned, a failure raises with it."""
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"], cwd=course,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout + result.stderr


def new_course(tmp_path, assignment):
    """A course folder holding the configuration and one released assignment."""
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / assignment, course / "solutions" / assignment)
    nbgrader(course, "generate_assignment", assignment)
    return course


def source_notebook(assignment):
    return nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)


def release_notebook(course, assignment):
    return nbformat.read(course / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)


def solution_code(cell):
    """A solution cell's code as a student who solved it would leave it: no nbgrader markers."""
    return "\n".join(line for line in cell.source.splitlines() if line.strip() not in MARKERS)


def completed(course, assignment, replace=None):
    """The release notebook with every answer filled in from the solutions; `replace` maps a solution
    cell's grade_id to other code (a mistake)."""
    answers = {c.metadata.nbgrader["grade_id"]: solution_code(c) for c in source_notebook(assignment).cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    answers.update(replace or {})
    nb = release_notebook(course, assignment)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answers[grade_id]
    return nb


def submit(course, assignment, student, notebook):
    folder = course / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(notebook, (str, bytes)):
        (folder / f"{assignment}.ipynb").write_text(notebook if isinstance(notebook, str) else notebook.decode())
    else:
        nbformat.write(notebook, folder / f"{assignment}.ipynb")
    return folder


def cell_scores(course, assignment):
    """{student: {grade cell id: score}} from the gradebook."""
    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for submission in gb.assignment_submissions(assignment):
            for notebook in submission.notebooks:
                scores[submission.student_id] = {g.name: g.score for g in notebook.grades}
    return scores


def max_scores(assignment):
    nb = source_notebook(assignment)
    return {c.metadata.nbgrader["grade_id"]: float(c.metadata.nbgrader["points"]) for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")}


def dumps(nb):
    return json.dumps(nb, sort_keys=True)
