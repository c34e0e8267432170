"""`check`, the one function a test cell calls: run an exercise function on generated cases and report.

In a notebook it does two things for every case:
- it publishes the outputs (as a display of type MIME below), so that the grader can compare them with
  its own reference outside the student's kernel: a test cell earns points only if those outputs are
  right, whatever else the notebook does;
- for the visible cases, whose expected values ship in expected.json, it compares right away and raises
  a CheckFailed (an AssertionError) that says what is probably wrong, so that students can check their work.
  When a function that calls another exercise function fails, the callee is checked first: a wrong step
  makes its loop wrong too, and the step is the place to start.
"""

import base64
import io
import json
import sys
import types
from contextlib import contextmanager
from functools import cache
from importlib.resources import files

import numpy as np

from .cases import CASES, WrongResult
from .compare import diagnose
from .exercise import DTYPE, dtype_code
from .exercises import FUNCTIONS
from .report import RESULTS, CheckFailed, record

MIME = "application/vnd.rnn-course.check+json"
EXPECTED = files("rnncheck") / "expected.json"  # package data: it ships in the wheel


def check(name, *functions, seed, sizes):
    """Run `name`'s cases: one per entry of `sizes` (a list of dicts of sizes), inputs drawn from `seed`.

    functions: the function under test, then any it needs (e.g. the forward pass for a backward check).
    """
    case = CASES[name]
    if len(functions) != len(case.needs):
        raise TypeError(f"check({name!r}, ...) takes {len(case.needs)} function(s): {', '.join(case.needs)}")
    fns = types.SimpleNamespace(**dict(zip(case.needs, functions, strict=True)))
    with _without_rnnlib(None if case.trap is True else case.trap):
        results = [run_case(case.make, fns, seed, k, size) for k, size in enumerate(sizes)]
    failures, verified = [], 0
    for k, (size, outputs) in enumerate(zip(sizes, results, strict=True)):
        expected = _expected().get(case_key(name, seed, k))
        if expected is not None:
            verified += 1
            message = diagnose(name, outputs, decode(expected["outputs"]),
                               [(m["hint"], decode(m["outputs"])) for m in expected["mistakes"]])
            if message:
                failures.append(f"case {k} {size}: {message}")
    summary = (f"{name}: {len(sizes) - len(failures)} of {len(sizes)} cases correct" if verified == len(sizes)
               else f"{name}: ran {len(sizes)} cases; they are compared when the notebook is graded")
    _publish({"check": name, "seed": seed, "outputs": [encode(o) for o in results]}, summary)
    if verified == len(sizes):
        record(case.needs[0], not failures, seed, sizes)
    if failures:
        wrong_callee = _wrong_callee(name, functions[0])
        if wrong_callee:
            failures = [f"{name} calls your {wrong_callee}, which is wrong (its own check fails): fix "
                        f"{wrong_callee} first, then run this check again. (When graded, {name} is judged with "
                        f"a correct {wrong_callee}, so each costs only its own points.)"]
        raise CheckFailed("\n".join(failures))


# A function that calls another exercise function: a failure is first blamed on a wrong callee.
CALLEES = {name: function.callees for name, function in FUNCTIONS.items() if function.callees}


def _wrong_callee(name, function):
    """The first callee of `function` (as bound in its notebook's globals now) that fails the visible check it
    last ran in this kernel, or None."""
    namespace = getattr(function, "__globals__", {})
    for callee in CALLEES.get(name, ()):
        if callee not in RESULTS or not callable(namespace.get(callee)):
            continue
        needs = [namespace.get(n) for n in CASES[callee].needs]
        if not all(callable(fn) for fn in needs):
            continue
        _, seed, sizes = RESULTS[callee]
        fns = types.SimpleNamespace(**dict(zip(CASES[callee].needs, needs, strict=True)))
        with _without_rnnlib():
            for k, size in enumerate(sizes):
                expected = _expected().get(case_key(callee, seed, k))
                outputs = run_case(CASES[callee].make, fns, seed, k, size)
                if expected is not None and diagnose(callee, outputs, decode(expected["outputs"])):
                    return callee
    return None


def run_case(make, fns, seed, k, size):
    """The outputs of one case as a dict of float arrays, or {"error": "..."} if the code raised or
    returned something the case cannot use. A case with a size "dtype" records the dtype of each result
    (key ".dtype" appended, value dtype_code) instead of its values; the inputs it was given it leaves out."""
    rng = np.random.default_rng([seed, k])
    try:
        raw = make(rng, fns, **size)
        if "dtype" in size:
            return {f"{key}{DTYPE}": np.array(dtype_code(value), dtype=np.float64) for key, value in raw.items()
                    if not key.startswith("input_")}
        return {key: np.asarray(value, dtype=np.float64) for key, value in raw.items()}
    except WrongResult as err:
        return {"error": str(err)}
    except Exception as err:  # the student's code may raise anything: report it, don't crash the check
        return {"error": f"raised {type(err).__name__}: {err}"}


def case_key(name, seed, k):
    return f"{name}|{seed}|{k}"


def encode(outputs):
    """Arrays -> JSON-safe base64 .npy strings (exact, unlike decimal text)."""
    if "error" in outputs:
        return {"error": outputs["error"]}
    encoded = {}
    for key, value in outputs.items():
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        encoded[key] = base64.b64encode(buffer.getvalue()).decode("ascii")
    return encoded


def decode(encoded):
    if "error" in encoded:
        return {"error": str(encoded["error"])}
    return {key: np.load(io.BytesIO(base64.b64decode(value)), allow_pickle=False) for key, value in encoded.items()}


# Stored expected values are compared within rounding: another CPU or BLAS kernel sums in another order and
# changes the last digits (a numerical gradient divides them by its step), measured at under 1e-10 of an
# array's largest value; any change to what the code computes moves them far more.
STORED_RTOL = 1e-9


def array_difference(stored, computed):
    """None when two arrays agree within rounding, elementwise to STORED_RTOL of the element or of the array's
    largest element (a sum rounds relative to its terms, not its result); otherwise how they differ."""
    if stored.dtype != computed.dtype or stored.shape != computed.shape:
        return f"{computed.dtype}{computed.shape} instead of {stored.dtype}{stored.shape}"
    finite = np.isfinite(stored)
    if not np.array_equal(finite, np.isfinite(computed)) or \
            not np.array_equal(stored[~finite], computed[~finite], equal_nan=True):
        return "NaN or inf in other places"
    if not finite.any():
        return None
    diff = np.abs(stored[finite] - computed[finite])
    scale = np.abs(stored[finite])
    allowed = STORED_RTOL * np.maximum(scale, scale.max())
    if np.all(diff <= allowed):
        return None
    k = int(np.argmax(diff / np.maximum(allowed, np.finfo(float).tiny)))
    return (f"differs by {diff[k]:.3g} at a value of {stored[finite][k]:.6g} (allowed {allowed[k]:.3g}; "
            f"largest difference {diff.max():.3g})")


def outputs_difference(stored, computed):
    """None when two encoded outputs agree: the same keys, error text and arrays within rounding."""
    if sorted(stored) != sorted(computed):
        return f"keys {sorted(computed)} instead of {sorted(stored)}"
    if "error" in stored:
        return None if stored == computed else f"error {computed['error']!r} instead of {stored['error']!r}"
    stored, computed = decode(stored), decode(computed)
    for key in sorted(stored):
        if (problem := array_difference(stored[key], computed[key])) is not None:
            return f"{key} {problem}"
    return None


def entry_difference(stored, computed):
    """None when two entries of expected.json agree: hints exactly, outputs within rounding."""
    if sorted(stored) != sorted(computed) or len(stored["mistakes"]) != len(computed["mistakes"]):
        return "a different structure"
    if (problem := outputs_difference(stored["outputs"], computed["outputs"])) is not None:
        return f"outputs: {problem}"
    for m, (old, new) in enumerate(zip(stored["mistakes"], computed["mistakes"], strict=True)):
        if sorted(old) != sorted(new) or old["hint"] != new["hint"]:
            return f"mistake {m}: hint {new.get('hint')!r} instead of {old.get('hint')!r}"
        if (problem := outputs_difference(old["outputs"], new["outputs"])) is not None:
            return f"mistake {m} ({old['hint']}): {problem}"
    return None


def table_difference(stored, computed):
    """None when two expected tables agree case by case; otherwise the first case that differs, and how."""
    if sorted(stored) != sorted(computed):
        return (f"cases missing: {sorted(set(stored) - set(computed))}, "
                f"new: {sorted(set(computed) - set(stored))}")
    for key in sorted(stored):
        if (problem := entry_difference(stored[key], computed[key])) is not None:
            return f"case {key}: {problem}"
    return None


@cache
def _expected():
    # Without them a visible check would compare nothing and look as if it passed: fail instead.
    if not EXPECTED.is_file():
        raise FileNotFoundError(f"{EXPECTED} is missing, so the checks cannot compare your results: reinstall the "
                                "course's package (it ships the expected values with rnncheck)")
    return json.loads(EXPECTED.read_text())


def _publish(payload, summary):
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display({MIME: payload, "text/plain": summary}, raw=True)
    else:
        print(summary)


def _trap(*args, **kwargs):
    raise RuntimeError("this calls rnnlib, the course's own implementation: write the code yourself")


@contextmanager
def _without_rnnlib(only=None):
    """While the checked code runs, every function of rnnlib (or those named in `only`) raises: calling it
    earns nothing."""
    swapped = []
    for module_name, module in list(sys.modules.items()):
        if module_name.split(".")[0] != "rnnlib":
            continue
        for value in list(vars(module).values()):
            if isinstance(value, types.FunctionType) and value.__module__.startswith("rnnlib") \
                    and not value.__code__.co_freevars and value.__code__ is not _trap.__code__ \
                    and (only is None or f"{value.__module__}.{value.__qualname__}" in only):
                swapped.append((value, value.__code__))
                value.__code__ = _trap.__code__
    try:
        yield
    finally:
        for function, code in swapped:
            function.__code__ = code
