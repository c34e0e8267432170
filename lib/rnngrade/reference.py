"""The reference implementation of every function an exercise asks for, by the function's name: what the
exercises' modules declare (EXERCISE.reference in rnncheck.exercises), with rnnlib's functions imported here."""

import importlib
import types

from rnncheck.exercises import EXERCISES


def resolve(target):
    """A declared reference as a function: "rnnlib.module.name" is imported; a function is itself."""
    if callable(target):
        return target
    module, _, name = target.rpartition(".")
    return getattr(importlib.import_module(module), name)


def references():
    """{function name: reference} over every exercise; the same name declared twice must mean the same one."""
    found = {}
    for exercise in EXERCISES.values():
        for name, target in exercise.references.items():
            if name in found and found[name][0] != target:
                raise ValueError(f"the reference of {name} is {found[name][0]!r} in {found[name][1]} but {target!r} "
                                 f"in {exercise.assignment}")
            found.setdefault(name, (target, exercise.assignment))
    return {name: resolve(target) for name, (target, _) in found.items()}


REFERENCE = types.SimpleNamespace(**references())
