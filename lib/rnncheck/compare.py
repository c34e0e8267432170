"""Compare a student's outputs with the expected ones and say, in words, what is probably wrong.

Used on both sides: in the student's notebook against the bundled expected values of the visible cases,
and by the grader against outputs it computes itself. `mistakes` are the outputs that known, plausible
mistakes would give on the same inputs, each with a hint; a student's output that matches one gets its hint.
"""

import numpy as np

from .cases import CASES

RTOL, ATOL = 1e-5, 1e-7


def _close(a, b):
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


def _matches(outputs, expected):
    return "error" not in expected and all(k in outputs and _close(outputs[k], v) for k, v in expected.items())


def diagnose(name, outputs, expected, mistakes=()):
    """None when `outputs` match `expected`; otherwise a message naming what is wrong and a likely cause.

    outputs, expected: dicts of arrays; outputs may instead hold an "error" string (the function raised).
    mistakes: (hint, outputs) pairs; a mistake's outputs may be an error too, matched by its text.
    """
    if "error" in outputs:
        same = [hint for hint, mistake in mistakes if mistake.get("error") == outputs["error"]]
        return f"{name} {outputs['error']}" + (f": {same[0]}" if same else "")
    case = CASES.get(name)
    if case is not None and case.judge is not None:
        return _judged(name, case, outputs, expected, mistakes)
    problems, wrong = [], []
    for key, want in expected.items():
        got = outputs.get(key)
        if got is None:
            problems.append(f"{key} is missing from what {name} returned")
        elif got.shape != want.shape:
            problems.append(f"{key} has shape {got.shape}, expected {want.shape}")
        elif not np.all(np.isfinite(got)):
            problems.append(f"{key} contains NaN or inf")
        elif not _close(got, want):
            wrong.append(key)
    if not problems and not wrong:
        return None
    for hint, mistake in mistakes:
        if _matches(outputs, mistake):
            return f"{name}: {hint}"
    for key in wrong:
        diff = np.abs(outputs[key] - expected[key])
        idx = np.unravel_index(np.argmax(diff), diff.shape)
        problems.append(f"{key} differs from the expected values (largest difference {diff[idx]:.3g} at index "
                        f"{tuple(int(i) for i in idx)})")
    right = [k for k in expected if k not in wrong and k in outputs and outputs[k].shape == expected[k].shape]
    if right and len(expected) > 1:
        problems.append(f"correct: {', '.join(right)}")
    return f"{name}: " + "; ".join(problems)


def _judged(name, case, outputs, expected, mistakes):
    """For checks graded on properties: the judge's verdict, and the hint of a mistake the outputs resemble."""
    problem = case.judge(outputs, expected)
    if problem is None:
        return None
    like = [hint for hint, mistake in mistakes
            if "error" not in mistake and case.resembles is not None and case.resembles(outputs, mistake)]
    return f"{name}: {problem}" + (f"\nProbably: {like[0]}" if like else "")
