"""The graded exercises, proven end to end with nbgrader: release, submit, autograde, feedback.

For every assignment, one batch is graded: the instructor's solution (full marks), the untouched release
(zero), and one submission per catalogued mistake, each correct but for that one mistake: it must lose the
points of its own function and keep every other.
"""

import json
import sys

import nbformat
import numpy as np
import pytest
from exercise_course import (
    ROOT,
    assignments,
    cell_scores,
    completed,
    max_scores,
    nbgrader,
    new_course,
    release_notebook,
    source_notebook,
    submit,
)

from rnncheck.check import EXPECTED, decode, encode, table_difference
from rnngrade.mistakes import mistakes_for

sys.path.insert(0, str(ROOT / "tools"))
from build_exercises import declaration_problems, expected_values, visible_checks  # noqa: E402

ASSIGNMENTS = assignments()
SECRETS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def graded_functions(assignment):
    """grade_id of every solution cell; each one defines the function of that name."""
    return [c.metadata.nbgrader["grade_id"] for c in source_notebook(assignment).cells
            if c.metadata.get("nbgrader", {}).get("solution")]


def test_every_assignment_is_there():
    assert ASSIGNMENTS, "no assignment in solutions/"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_in_git_is_what_nbgrader_generates(tmp_path, assignment):
    course = new_course(tmp_path, assignment)
    generated = release_notebook(course, assignment)
    committed = nbformat.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    assert generated == committed, f"exercises/{assignment} is stale: run `python tools/build_exercises.py`"
    files = sorted(p.name for p in (ROOT / "exercises" / assignment).iterdir())
    assert files == [f"{assignment}.ipynb"]


def test_expected_values_in_git_are_up_to_date():
    table = {}
    for assignment in ASSIGNMENTS:
        table.update(expected_values(visible_checks(assignment)))
    problem = table_difference(json.loads(EXPECTED.read_text()), table)
    assert problem is None, f"{problem}: run `python tools/build_exercises.py`"


def _perturbed(table, key, scale):
    """A copy of table with the first array of case key's outputs moved by scale times its largest value."""
    entry = json.loads(json.dumps(table[key]))
    name = sorted(entry["outputs"])[0]
    value = decode(entry["outputs"])[name]
    entry["outputs"][name] = encode({name: value + scale * np.abs(value).max()})[name]
    return {**table, key: entry}, name


def test_stored_values_compare_within_rounding_and_no_further():
    stored = json.loads(EXPECTED.read_text())
    key = "lstm_backward|0|0"
    rounded, _ = _perturbed(stored, key, 1e-12)
    assert table_difference(stored, rounded) is None
    changed, name = _perturbed(stored, key, 1e-7)
    assert table_difference(stored, changed).startswith(f"case {key}: outputs: {name} differs by ")
    hinted = {**stored, key: {**stored[key], "mistakes": [{**stored[key]["mistakes"][0], "hint": "other"}]
                              + stored[key]["mistakes"][1:]}}
    assert "hint 'other'" in table_difference(stored, hinted)
    assert "cases missing" in table_difference(stored, {k: v for k, v in stored.items() if k != key})


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_holds_no_solution_and_no_hidden_test(assignment):
    text = (ROOT / "exercises" / assignment / f"{assignment}.ipynb").read_text()
    assert not [s for s in SECRETS if s in text]
    release = nbformat.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    for cell in release.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            assert "raise NotImplementedError()" in cell.source


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_function_has_its_own_test_and_three_mistakes(assignment):
    graded = set(max_scores(assignment))
    for function in graded_functions(assignment):
        assert f"{function}_tests" in graded, f"{function} has no graded test cell {function}_tests"
        assert len(mistakes_for(function)) >= 3, f"{function} has fewer than three catalogued mistakes"


def test_every_notebook_agrees_with_its_exercise_module():
    assert declaration_problems() == []


def test_a_notebook_that_disagrees_with_its_module_is_named():
    def changed(assignment):
        nb = source_notebook(assignment)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id == "forget_gate_tests":
                cell.metadata.nbgrader["points"] = 5  # the module says 2
            if grade_id == "hidden_state_tests":
                cell.source = cell.source.replace('check("hidden_state", hidden_state',
                                                  'check("cell_update", hidden_state')
            if grade_id == "output_gate_tests":
                cell.metadata.nbgrader["grade_id"] = "output_gates_tests"
        return nb

    problems = declaration_problems(["ex03_gates"], read=changed)
    assert "ex03_gates: forget_gate_tests gives 5 points, the module 2" in problems
    assert "ex03_gates: the cell hidden_state_tests checks cell_update: a function's test cell checks that function " \
           "only" in problems
    assert "ex03_gates: the test cell output_gates_tests has no declared function " \
           "(EXERCISE.grade('output_gates', ...))" in problems
    assert "ex03_gates: output_gate is declared but the notebook has no test cell output_gate_tests" in problems
    assert "ex03_gates: the case 'output_gate' is declared but no cell of the notebook checks it" not in problems
    assert declaration_problems(["ex07_attention"]) == [
        "ex07_attention: no module lib/rnncheck/exercises/ex07_attention.py declares it"]


@pytest.mark.batch
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_autograding_gives_each_mistake_its_own_cost(tmp_path, assignment):
    course = new_course(tmp_path, assignment)
    submit(course, assignment, "solution", source_notebook(assignment))
    submit(course, assignment, "blank", release_notebook(course, assignment))
    expected_loss = {}
    for function in graded_functions(assignment):
        for k, mistake in enumerate(mistakes_for(function)):
            student = f"{function}-{k}"
            submit(course, assignment, student, completed(course, assignment, {function: mistake.source}))
            expected_loss[student] = (f"{function}_tests", mistake.hint)
    nbgrader(course, "autograde", assignment)
    scores = cell_scores(course, assignment)
    full = max_scores(assignment)

    assert scores["solution"] == full, "the instructor's solution must earn full marks"
    assert all(score == 0 for score in scores["blank"].values()), f"the release must earn nothing: {scores['blank']}"
    for student, (lost_cell, hint) in expected_loss.items():
        want = {cell: (0.0 if cell == lost_cell else points) for cell, points in full.items()}
        assert scores[student] == want, f"mistake {student} ({hint}) should cost {lost_cell} only"
        assert hint in feedback_of(course, assignment, student, lost_cell), f"{student}: the hint is missing"

    nbgrader(course, "generate_feedback", assignment, "--student=solution")
    feedback = (course / "feedback" / "solution" / assignment / f"{assignment}.html").read_text()
    total = sum(full.values())
    assert f"Score: {total:.1f} / {total:.1f}" in " ".join(feedback.split())


def feedback_of(course, assignment, student, cell_id):
    """The error text the autograded notebook shows under one test cell."""
    nb = nbformat.read(course / "autograded" / student / assignment / f"{assignment}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == cell_id)
    return "\n".join(o.get("evalue", "") for o in cell.outputs if o.output_type == "error")
