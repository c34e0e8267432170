"""How an exercise is declared: once, in one module of rnncheck.exercises per assignment.

A module `rnncheck/exercises/<assignment>.py` makes an `Exercise` named after its notebook and declares, for
every function the notebook grades (`<function>` solution cell, `<function>_tests` test cell):

    EXERCISE = Exercise("ex03_gates")
    EXERCISE.grade("forget_gate", points=2)                     # its points (those of forget_gate_tests)

    @EXERCISE.case("forget_gate")                               # how check("forget_gate", ...) draws its inputs
    def _forget_gate(rng, fns, N, D, H, dtype="float64"): ...

and then, below the line GRADER_ONLY, what only the grader may see: the reference that computes the right
outputs and the catalogued mistakes, each the code a student might write, with a hint:

    EXERCISE.reference("forget_gate", "rnnlib.lstm.forget_gate")
    EXERCISE.mistake("forget_gate", "did you apply the sigmoid?", '''def forget_gate(...): ...''')

A graded kernel imports the module cut at that line (rnngrade.kernel_view): it runs the cases, and sees neither
the references nor the mistakes. tools/build_exercises.py checks every module against its notebook.

Case functions draw every input first, then call the functions and return their results as named arrays. The
same case code runs with a student's functions in the student's kernel and with the reference functions in the
grader, so both see identical inputs; only the outputs are compared. A size "dtype" ("float32") casts the inputs,
and the case then records the dtype of each result instead of its values (rnncheck.check.run_case): float32
values differ between machines in their last digits, dtypes do not.
"""

import textwrap
from dataclasses import dataclass, field

import numpy as np

# Everything of an exercise module after this line is the grader's: a graded kernel sees the module without it.
GRADER_ONLY = "# --- grader only: references and mistakes (a graded kernel sees this module cut here) ---"


DTYPE = ".dtype"  # in a dtype case, the key of a result's dtype: the result's own key, then this


def dtype_code(value):
    """A result's dtype as a number: its bits for an array of floats (32 for float32), 0 for anything else."""
    dtype = np.asarray(value).dtype
    return 8 * dtype.itemsize if dtype.kind == "f" else 0


def dtype_name(code):
    return {16: "float16", 32: "float32", 64: "float64", 128: "float128"}.get(int(code), "not an array of floats")


class WrongResult(Exception):
    """What an exercise function returned cannot be used by its case; the message says why."""


@dataclass(frozen=True)
class Case:
    make: object  # make(rng, fns, **sizes) -> {name: array}
    needs: tuple  # the functions it calls, the one under test first
    judge: object = None  # judge(got, expected) -> message or None; None: outputs must equal the reference's
    resembles: object = None  # resembles(got, mistake) -> bool, for judged cases: does got look like a mistake's?
    # While it runs, every function of rnnlib raises (True), or only these ("rnnlib.module.function"): where
    # an exercise calls the library on purpose, only the library's own version of the exercise is barred.
    trap: object = True

    @property
    def function(self):
        return self.needs[0]


@dataclass(frozen=True)
class Mistake:
    function_name: str
    hint: str
    source: str  # self-contained code (numpy is `np`) that defines the function under its exercise name

    def function(self, namespace):
        """The mistake as a function, its other names (the functions it calls) looked up in `namespace`: a
        mistake in one function calls the correct versions of the others, as in a submission where only this
        function is wrong."""
        scope = {"np": np, **namespace}
        exec(self.source, scope)  # the course's own catalogue, never student code
        return scope[self.function_name]


@dataclass
class Function:
    """A function the notebook grades, in the cell `<name>_tests`."""

    name: str
    points: float
    callees: tuple = ()  # exercise functions it calls: when its check fails, a failing callee is blamed first
    # (output key, equation): the arrays a backward function returns, in the order its backward pass computes
    # them, each with the line of the equations it comes from. A key may hold "{l}", a layer's index: those
    # entries form one block, repeated for every layer from the top one down.
    flow: tuple = ()
    mistakes: list = field(default_factory=list)  # grader only

    @property
    def test_cell(self):
        return f"{self.name}_tests"


class Exercise:
    """The declarations of one assignment: its graded functions, their cases, references and mistakes."""

    def __init__(self, assignment):
        self.assignment = assignment
        self.functions = {}  # name -> Function, in the notebook's order
        self.cases = {}  # check name -> Case
        self.references = {}  # grader only: function name -> "rnnlib.module.name" or a function

    def grade(self, name, points, callees=(), flow=()):
        """Declare a graded function: its points, the exercise functions it calls, its backward flow."""
        if name in self.functions:
            raise ValueError(f"{self.assignment}: {name} is declared twice")
        self.functions[name] = Function(name, float(points), tuple(callees), tuple(flow))
        return self.functions[name]

    def case(self, name, function=None, needs=(), **options):
        """Register a case function for the check `name` of the graded function `function` (default: `name`);
        `needs` are other functions it calls (a forward pass for a backward check); `options` are the other
        fields of Case."""
        function = function or name
        if function not in self.functions:
            raise ValueError(f"{self.assignment}: the case {name!r} checks {function}, which is not declared: "
                             f"EXERCISE.grade({function!r}, points=...) first")

        def register(make):
            if name in self.cases:
                raise ValueError(f"{self.assignment}: the case {name!r} is declared twice")
            self.cases[name] = Case(make, (function,) + tuple(needs), **options)
            return make
        return register

    # What only the grader sees: declared below GRADER_ONLY ------------------------------------------------
    def reference(self, name, target):
        """The right version of `name`: "rnnlib.module.function" (imported by the grader) or a function. Besides
        the graded functions, the functions the cases and mistakes call that the exercise gives (a forward pass)."""
        self.references[name] = target

    def mistake(self, function, hint, source):
        """A catalogued mistake in `function`: `source` defines it; its outputs get `hint` in the feedback."""
        if function not in self.functions:
            raise ValueError(f"{self.assignment}: a mistake in {function}, which is not declared")
        self.functions[function].mistakes.append(Mistake(function, hint, textwrap.dedent(source)))


def variant(template, right):
    """fill(**changes): the source `template` with the correct parts `right`, some of them changed."""
    def fill(**changes):
        return template.format(**{**right, **changes})
    return fill
