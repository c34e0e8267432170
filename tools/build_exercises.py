"""Build what students get from the instructor's notebooks in solutions/:

1. the expected values of every visible check (lib/rnncheck/expected.json), with the outputs of the
   catalogued mistakes on the same inputs, so that students' checks can give hints;
2. the release notebooks in exercises/, by `nbgrader generate_assignment` (solutions and hidden tests removed).

    python tools/build_exercises.py [ASSIGNMENT ...]      (default: every assignment in solutions/)

Run it after editing a notebook in solutions/; `make test` fails when its results are out of date.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import nbformat

from rnncheck.check import EXPECTED, case_key, encode, entry_difference
from rnngrade.verify import expected_outputs, required_checks

ROOT = Path(__file__).resolve().parents[1]


def assignments():
    return sorted(p.name for p in (ROOT / "solutions").iterdir() if (p / f"{p.name}.ipynb").exists())


def visible_checks(assignment):
    """The check calls of the cells students see run: every code cell that is not a graded test."""
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
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
    args = parser.parse_args()
    chosen = args.assignment or assignments()
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
