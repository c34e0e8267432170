"""The course's exercises, one module each, named after its assignment (`ex03_gates.py` for
solutions/ex03_gates/ex03_gates.ipynb): its graded functions and points, how each is checked, and (for the grader
only) its references and mistakes. rnncheck.exercise says how a module declares them.

    EXERCISES       {assignment: Exercise}, in the course's order
    FUNCTIONS       {function name: Function} of every exercise
    CASES           {check name: Case} of every exercise
"""

import importlib
import pkgutil
import re


def _load():
    exercises = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if re.fullmatch(r"ex\d+_\w+", info.name):
            exercise = importlib.import_module(f"{__name__}.{info.name}").EXERCISE
            if exercise.assignment != info.name:
                raise ValueError(f"rnncheck.exercises.{info.name} declares Exercise({exercise.assignment!r}): "
                                 f"an exercise's module is named after its assignment")
            exercises[info.name] = exercise
    return exercises


def _merged(field):
    merged, owner = {}, {}
    for exercise in EXERCISES.values():
        for name, value in getattr(exercise, field).items():
            if name in merged:
                raise ValueError(f"{name} is declared by both {owner[name]} and {exercise.assignment}")
            merged[name], owner[name] = value, exercise.assignment
    return merged


EXERCISES = _load()
FUNCTIONS = _merged("functions")
CASES = _merged("cases")


def exercise_of(function):
    """The assignment that grades `function`, or None."""
    return next((a for a, exercise in EXERCISES.items() if function in exercise.functions), None)
