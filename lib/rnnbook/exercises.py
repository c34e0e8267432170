"""Which functions students write: every function defined in a solution cell of solutions/*/*.ipynb.

This is the one list the book's student edition hides and its test checks. A solution cell is a code cell
whose metadata has ``nbgrader.solution: true``.
"""

import ast
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"

# Code of the library or the book, not itself an exercise, whose body is (a form of) an exercise's answer:
# qualified name -> the exercise function it answers.
ANSWER_HELPERS = {
    "rnnlib.lstm._gate": "forget_gate",
    "rnnbook.by_hand.lstm_step_by_hand": "lstm_step_forward",
    "rnnbook.by_hand.layers_chained": "stacked_lstm_forward",
}


@dataclass(frozen=True)
class ExerciseFunction:
    name: str
    assignment: str  # e.g. "ex04_lstm_backprop"
    source: str  # the whole solution cell it is defined in

    @property
    def title(self):
        """The exercise's title, the first heading of its notebook ("Exercise 4: ...")."""
        return exercise_titles()[self.assignment]

    def body_lines(self):
        """The lines of the function's body as written in the solution, without its docstring."""
        return exercise_body(self.source, self.name)


def exercise_body(source, name):
    """The source lines of the body of function `name` defined at the top of `source`, without its docstring."""
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == name)
    body = node.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return source.splitlines()[body[0].lineno - 1:body[-1].end_lineno] if body else []


def _solution_cells(notebook):
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            yield "".join(cell["source"])


@cache
def exercise_functions(solutions=SOLUTIONS):
    """{function name: ExerciseFunction} over every assignment, in course order."""
    notebooks = sorted(Path(solutions).glob("*/*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no solution notebooks under {solutions}: the book is built from the repository")
    found = {}
    for notebook in notebooks:
        assignment = notebook.parent.name
        for source in _solution_cells(notebook):
            for node in ast.parse(source).body:
                if isinstance(node, ast.FunctionDef):
                    found[node.name] = ExerciseFunction(node.name, assignment, source)
    return found


@cache
def exercise_titles(solutions=SOLUTIONS):
    """{assignment: the first heading of its notebook}."""
    titles = {}
    for notebook in sorted(Path(solutions).glob("*/*.ipynb")):
        first = "".join(json.loads(notebook.read_text())["cells"][0]["source"]).splitlines()[0]
        titles[notebook.parent.name] = first.lstrip("# ").strip()
    return titles


def exercise_of(obj):
    """The ExerciseFunction that `obj` (a function of the library or the book) is the answer of, or None."""
    functions = exercise_functions()
    qualified = f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}"
    name = ANSWER_HELPERS.get(qualified, getattr(obj, "__name__", None))
    return functions.get(name) if callable(obj) else None
