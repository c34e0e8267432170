"""The catalogue of plausible student mistakes, each as the code a student might write, with a hint: a lookup over
what the exercises' modules declare (EXERCISE.mistake in rnncheck.exercises).

The grader runs each mistake on the same inputs as the student's code: a student's output that matches
a mistake's gets its hint in the feedback. tests/test_exercises.py puts each mistake into an otherwise
correct submission and proves that it loses the points of its own function and keeps all the others.
"""

from rnncheck.exercises import FUNCTIONS

CATALOGUE = {name: function.mistakes for name, function in FUNCTIONS.items()}


def mistakes_for(name):
    """The mistakes of the function `name`; those of its check of the same name (a function's other checks, such as
    train_step_learns, have none)."""
    return CATALOGUE.get(name, [])


def mistake_function(mistake):
    """The mistake as a function that calls the references of the other functions."""
    from .reference import REFERENCE

    return mistake.function(vars(REFERENCE))
