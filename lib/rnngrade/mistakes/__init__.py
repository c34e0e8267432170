"""A catalogue of plausible student mistakes, each as the code a student might write, with a hint.

The grader runs each mistake on the same inputs as the student's code: a student's output that matches
a mistake's gets its hint in the feedback. tests/test_exercises.py puts each mistake into an otherwise
correct submission and proves that it loses the points of its own function and keeps all the others.
Every source is self-contained (numpy is `np`) and defines the function under its exercise name; one
module per assignment adds its mistakes to the catalogue.
"""

import textwrap
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Mistake:
    function_name: str
    hint: str
    source: str

    def function(self):
        # A mistake in one function calls the correct versions of the others, as in a submission
        # where only this function is wrong.
        from ..reference import REFERENCE

        namespace = {"np": np, **vars(REFERENCE)}
        exec(textwrap.dedent(self.source), namespace)  # our own catalogue, never student code
        return namespace[self.function_name]


CATALOGUE = {}


def mistake(function_name, hint, source):
    CATALOGUE.setdefault(function_name, []).append(Mistake(function_name, hint, textwrap.dedent(source)))


def mistakes_for(function_name):
    return CATALOGUE.get(function_name, [])


def variant(template, right):
    """fill(**changes): the source `template` with the correct parts `right`, some of them changed."""
    def fill(**changes):
        return template.format(**{**right, **changes})
    return fill




from . import ex01_recurrence  # noqa: E402,F401,I001
from . import ex02_bptt  # noqa: E402,F401,I001
from . import ex03_gates  # noqa: E402,F401  (each module registers its mistakes)
from . import ex04_lstm_backprop  # noqa: E402,F401,I001
from . import ex05_stacked  # noqa: E402,F401,I001
from . import ex06_char_lm  # noqa: E402,F401,I001
