"""Decide a test cell from the outputs its `check` calls published, with references computed here.

The cell's source (restored from the instructor's copy before the notebook ran) says which checks must
appear: each `check("name", ..., seed=S, sizes=[...])` call is read from the source with `ast`, never run.
The published outputs are the only thing taken from the student's kernel, and they earn points only
if they equal what the reference functions give on the same inputs.
"""

import ast
import types
from dataclasses import dataclass
from functools import cache

import numpy as np

from rnncheck.cases import CASES
from rnncheck.check import MIME, decode, run_case
from rnncheck.compare import diagnose

from .mistakes import mistake_function, mistakes_for
from .reference import REFERENCE


@dataclass(frozen=True)
class Call:
    name: str
    seed: int
    sizes: tuple  # of tuples of (size name, value) pairs, hashable

    def size_dicts(self):
        return [dict(s) for s in self.sizes]


def required_checks(source):
    """Every check(...) call in a cell's source, as Calls; a SyntaxError for source that is not Python."""
    calls = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "check":
            kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords}
            name = ast.literal_eval(node.args[0])
            calls.append(Call(name, kwargs["seed"], tuple(tuple(sorted(s.items())) for s in kwargs["sizes"])))
    return calls


def published(outputs):
    """The payloads a cell's outputs carry, as they came (untrusted)."""
    return [out["data"][MIME] for out in outputs
            if out.get("output_type") in ("display_data", "execute_result") and MIME in out.get("data", {})]


@cache
def expected_outputs(call):
    """Reference outputs and the outputs of every catalogued mistake, case by case."""
    case = CASES[call.name]
    function = case.needs[0]
    expected, mistakes = [], []
    with np.errstate(all="ignore"):  # a mistake may overflow on purpose: its warnings are no news here
        for k, size in enumerate(call.size_dicts()):
            expected.append(run_case(case.make, REFERENCE, call.seed, k, size))
            per_case = []
            for mistake in mistakes_for(call.name):
                fns = types.SimpleNamespace(**{**vars(REFERENCE), function: mistake_function(mistake)})
                per_case.append((mistake.hint, run_case(case.make, fns, call.seed, k, size)))
            mistakes.append(per_case)
    return expected, mistakes


def verify_call(call, payloads):
    """None if some payload for `call` has every case right; otherwise the message for the student."""
    candidates = [p for p in payloads if p.get("check") == call.name and p.get("seed") == call.seed
                  and isinstance(p.get("outputs"), list) and len(p["outputs"]) == len(call.sizes)]
    if not candidates:
        return f"{call.name}: the check did not run to the end (no results were published)"
    expected, mistakes = expected_outputs(call)
    message = None
    for payload in reversed(candidates):  # the last run of the check counts first
        try:
            got = [decode(o) for o in payload["outputs"]]
        except Exception:
            message = f"{call.name}: the published results are unreadable"
            continue
        problems = [f"case {k} {size}: {msg}" for k, size in enumerate(call.size_dicts())
                    if (msg := diagnose(call.name, got[k], expected[k], mistakes[k]))]
        if not problems:
            return None
        message = "\n".join(problems)
    return message


def verify_cell(source, outputs):
    """(calls, failures) for a test cell: the checks its source requires and the messages of those that failed."""
    calls = required_checks(source)
    payloads = published(outputs)
    failures = [msg for call in calls if (msg := verify_call(call, payloads))]
    return calls, failures
