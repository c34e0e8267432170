"""Build what students get from the instructor's notebooks in solutions/:

0. first, check every notebook against its exercise's module, lib/rnncheck/exercises/<assignment>.py (rnncheck.
   exercise says what it declares): a module per notebook; a declared function per `<function>_tests` cell, with
   the cell's points, a `<function>` solution cell, a reference and at least three catalogued mistakes; every check
   the notebook calls declared by its module, each graded function's test cell checking that function only, every
   declared case run by some test cell; and the module cut for graded kernels declaring the same cases, with no
   reference and no mistake;
1. the expected values of every visible check (lib/rnncheck/expected.json), with the outputs of the
   catalogued mistakes on the same inputs, so that students' checks can give hints;
2. the release notebooks in exercises/, by `nbgrader generate_assignment` (solutions and hidden tests removed).

    python tools/build_exercises.py [ASSIGNMENT ...]      (default: every assignment in solutions/)
    python tools/build_exercises.py --check               (step 0 only)

Run it after editing a notebook in solutions/ or a module in lib/rnncheck/exercises/; `make test` fails when its
results are out of date.
"""

import argparse
import json
import subprocess
import sys
import types
from pathlib import Path

import nbformat

import rnncheck.exercises
from rnncheck.check import EXPECTED, case_key, encode, entry_difference
from rnncheck.exercises import EXERCISES
from rnngrade.kernel_view import kernel_edition
from rnngrade.reference import REFERENCE
from rnngrade.verify import expected_outputs, required_checks

ROOT = Path(__file__).resolve().parents[1]
MODULES = Path(rnncheck.exercises.__file__).parent
MIN_MISTAKES = 3  # per graded function: fewer leave most wrong answers without a hint


def assignments():
    return sorted(p.name for p in (ROOT / "solutions").iterdir() if (p / f"{p.name}.ipynb").exists())


def notebook(assignment):
    return nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)


def declaration_problems(chosen=None, read=notebook):
    """What disagrees between the notebooks and the exercises' modules, in words ([] when nothing does)."""
    chosen = assignments() if chosen is None else chosen
    problems = [f"{name}: a module in {MODULES.relative_to(ROOT)} without a notebook solutions/{name}/{name}.ipynb"
                for name in EXERCISES if name not in assignments()]
    for assignment in chosen:
        if assignment not in EXERCISES:
            problems.append(f"{assignment}: no module {MODULES.relative_to(ROOT)}/{assignment}.py declares it")
            continue
        problems += [f"{assignment}: {p}" for p in _notebook_problems(EXERCISES[assignment], read(assignment))]
        problems += [f"{assignment}: {p}" for p in _kernel_edition_problems(EXERCISES[assignment])]
    return problems


def _notebook_problems(exercise, nb):
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
             if c.metadata.get("nbgrader", {}).get("grade_id")}
    tests = {grade_id: cell for grade_id, cell in cells.items() if cell.metadata.nbgrader.get("grade")}
    solutions = {grade_id for grade_id, cell in cells.items() if cell.metadata.nbgrader.get("solution")}
    declared = {function.test_cell: function for function in exercise.functions.values()}
    problems = [f"the test cell {grade_id} has no declared function (EXERCISE.grade({grade_id[:-6]!r}, ...))"
                if grade_id.endswith("_tests") else f"the graded cell {grade_id} is not named <function>_tests"
                for grade_id in tests if grade_id not in declared]
    problems += [f"{function.name} is declared but the notebook has no test cell {test_cell}"
                 for test_cell, function in declared.items() if test_cell not in tests]
    run = set()
    for grade_id, cell in cells.items():
        if cell.cell_type != "code":
            continue
        for call in required_checks(cell.source):
            run.add(call.name)
            if call.name not in exercise.cases:
                problems.append(f"the cell {grade_id} calls check({call.name!r}, ...), which this exercise does not "
                                "declare")
            elif grade_id in declared and exercise.cases[call.name].function != declared[grade_id].name:
                problems.append(f"the cell {grade_id} checks {exercise.cases[call.name].function}: a function's "
                                "test cell checks that function only")
    for test_cell, function in declared.items():
        if test_cell not in tests:
            continue
        points = float(tests[test_cell].metadata.nbgrader.get("points", 0))
        if points != function.points:
            problems.append(f"{test_cell} gives {points:g} points, the module {function.points:g}")
        if function.name not in solutions:
            problems.append(f"{function.name} has no solution cell {function.name!r}")
        if not any(exercise.cases[c.name].function == function.name for c in required_checks(tests[test_cell].source)
                   if c.name in exercise.cases):
            problems.append(f"{test_cell} runs no check of {function.name}")
        if not callable(getattr(REFERENCE, function.name, None)):
            problems.append(f"{function.name} has no reference (EXERCISE.reference)")
        if len(function.mistakes) < MIN_MISTAKES:
            problems.append(f"{function.name} has {len(function.mistakes)} catalogued mistakes, fewer than "
                            f"{MIN_MISTAKES}")
    for name, case in exercise.cases.items():
        if name not in run:
            problems.append(f"the case {name!r} is declared but no cell of the notebook checks it")
        problems += [f"the case {name!r} calls {need}, which has no reference" for need in case.needs
                     if not callable(getattr(REFERENCE, need, None))]
    return problems


def _kernel_edition_problems(exercise):
    """The module as a graded kernel imports it must declare what the whole one does, but no reference or mistake."""
    path = MODULES / f"{exercise.assignment}.py"
    try:
        source = kernel_edition(path.read_text())
    except ValueError as err:
        return [str(err)]
    module = types.ModuleType(f"rnncheck.exercises.{exercise.assignment}")
    module.__package__ = "rnncheck.exercises"
    exec(compile(source, str(path), "exec"), module.__dict__)
    cut = module.EXERCISE
    problems = []
    if cut.references or any(f.mistakes for f in cut.functions.values()):
        problems.append("references or mistakes are declared above the grader-only line, where graded kernels see them")
    def declared(ex):
        return ({(f.name, f.points, f.callees, f.flow) for f in ex.functions.values()},
                {(n, c.needs, c.trap) for n, c in ex.cases.items()})

    if declared(cut) != declared(exercise):
        problems.append("the grader-only part declares functions or cases: graded kernels would not see them")
    return problems


def visible_checks(assignment):
    """The check calls of the cells students see run: every code cell that is not a graded test."""
    nb = notebook(assignment)
    return [call for cell in nb.cells if cell.cell_type == "code"
            and not cell.metadata.get("nbgrader", {}).get("grade", False)
            for call in required_checks(cell.source)]


def expected_values(calls):
    table = {}
    for call in calls:
        expected, mistakes = expected_outputs(call)
        for k, outputs in enumerate(expected):
            if "error" in outputs:
                raise RuntimeError(f"the reference fails on {call}: {outputs['error']}")
            table[case_key(call.name, call.seed, k)] = {
                "outputs": encode(outputs),
                "mistakes": [{"hint": hint, "outputs": encode(out)} for hint, out in mistakes[k]]}
    return table


def keep_unchanged(table, stored):
    """table, with every entry that equals its stored one within rounding replaced by the stored one: a rebuild
    on another CPU or BLAS kernel then leaves expected.json as it is."""
    return {key: stored[key] if key in stored and entry_difference(stored[key], entry) is None else entry
            for key, entry in table.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignment", nargs="*")
    parser.add_argument("--check", action="store_true", help="only check the notebooks against their modules")
    args = parser.parse_args()
    chosen = args.assignment or assignments()
    problems = declaration_problems(chosen)
    if problems:
        sys.exit("The notebooks and the exercises' modules disagree:\n  " + "\n  ".join(problems))
    if args.check:
        print(f"{len(chosen)} notebooks agree with their modules")
        return
    stored = json.loads(EXPECTED.read_text()) if EXPECTED.exists() else {}
    table = dict(stored) if args.assignment else {}
    for assignment in chosen:
        table.update(keep_unchanged(expected_values(visible_checks(assignment)), stored))
    EXPECTED.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(table)} expected cases to {EXPECTED.relative_to(ROOT)}")
    for assignment in chosen:
        print(f"releasing {assignment}")
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
                        "--log-level=WARN"], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
