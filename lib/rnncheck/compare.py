"""Compare a student's outputs with the expected ones and say, in words, what is probably wrong.

Used on both sides: in the student's notebook against the bundled expected values of the visible cases,
and by the grader against outputs it computes itself. `mistakes` are the outputs that known, plausible
mistakes would give on the same inputs, each with a hint; a student's output that matches one gets its hint.
"""

import re

import numpy as np

from .cases import CASES
from .exercise import DTYPE, dtype_name
from .flow import in_flow_order

RTOL, ATOL = 1e-5, 1e-7
INPUT = "input_"  # the key of an input after the call, which must have left it as it was


def _close(a, b, equal_nan=False):
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=equal_nan))


def _matches(outputs, mistake):
    """Do the outputs equal a mistake's (NaN where it has NaN: a mistake may overflow)?"""
    return "error" not in mistake and all(k in outputs and _close(outputs[k], v, equal_nan=True)
                                          for k, v in mistake.items())


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
    if any(key.endswith(DTYPE) for key in expected):
        return _dtypes(name, outputs, expected, mistakes)
    problems, wrong = [], []
    if (keys := _wrong_keys(name, outputs, expected)) is not None:
        problems.append(keys)
    for key, want in expected.items():
        got = outputs.get(key)
        if got is None:
            continue  # said once, above, for all the keys
        if got.shape != want.shape:
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
    problems += [f"the {key.removeprefix(INPUT)} it was given has changed ({_largest(outputs[key], expected[key])}): "
                 f"{name} must leave its inputs as they were (a += b and a *= b change the array a itself, and so "
                 "the caller's; a = a + b makes a new one)" for key in wrong if key.startswith(INPUT)]
    wrong = [key for key in wrong if not key.startswith(INPUT)]
    right = [k for k, _ in in_flow_order(name, expected) if not k.startswith(INPUT)
             and k not in wrong and k in outputs and outputs[k].shape == expected[k].shape]
    correct = [f"correct: {', '.join(right)}"] if right and len(expected) > 1 else []
    flow = in_flow_order(name, wrong)
    if len(flow) > 1 and all(equation for _, equation in flow):
        # a table: each differing array on a line of its own, with the equation it comes from
        lines = problems + [f"{key}, from {equation}: {_largest(outputs[key], expected[key])}"
                            for key, equation in flow] + correct
        return (f"{name}: these differ, in the order the backward pass computes them (look at the first one "
                "first):\n  " + "\n  ".join(lines))
    problems += [f"{key} differs from the expected values ({_largest(outputs[key], expected[key])})"
                 + (f"; it comes from {equation}" if equation else "") for key, equation in flow]
    return f"{name}: " + "; ".join(problems + correct)


def _dtypes(name, outputs, expected, mistakes):
    """For a dtype case, whose outputs are the dtypes of the results (rnncheck.exercise.DTYPE)."""
    got = {key.removesuffix(DTYPE): value for key, value in outputs.items()}
    want = {key.removesuffix(DTYPE): value for key, value in expected.items()}
    problems = [keys] if (keys := _wrong_keys(name, got, want)) is not None else []
    wrong = [key for key, _ in in_flow_order(name, want) if key in got and got[key] != want[key]]
    if not problems and not wrong:
        return None
    for hint, mistake in mistakes:
        if _matches(outputs, mistake):
            return f"{name}: {hint}"
    groups = {}
    for key in wrong:
        groups.setdefault((dtype_name(got[key]), dtype_name(want[key])), []).append(key)
    problems += [f"{', '.join(keys)} {'is' if len(keys) == 1 else 'are'} {found}, expected {wanted}"
                 for (found, wanted), keys in groups.items()]
    return (f"{name}: " + "; ".join(problems) + " (its inputs are float32: the results keep their dtype; an array "
            "made with np.zeros or np.empty is float64 unless given a dtype)")


def _largest(got, want):
    diff = np.abs(got - want)
    idx = np.unravel_index(np.argmax(diff), diff.shape)
    return f"largest difference {diff[idx]:.3g} at index {tuple(int(i) for i in idx)}"


# An output key names an array the function returned, or an entry of a dict it returned, with a prefix:
# grads["W_f"] is "dW_f", layer_grads[0]["W_f"] is "layer0_dW_f", clipped["U"] is "clipped_U".
_PREFIX = re.compile(r"^((?:layer\d+_)?(?:clipped_|input_|d)?)(.*)$")


def _wrong_keys(name, outputs, expected):
    """When a returned dict lacks keys, which keys it had and which it should have, in the dict's own terms."""
    missing = [k for k, _ in in_flow_order(name, expected) if k not in outputs]
    if not missing:
        return None
    extra = [k for k in outputs if k not in expected]
    groups = {}
    for key in missing:
        prefix, entry = _PREFIX.match(key).groups()
        groups.setdefault(prefix, ([], []))[0].append(entry)
    for key in extra:
        prefix, entry = _PREFIX.match(key).groups()
        if prefix in groups:
            groups[prefix][1].append(entry)
    parts = []
    for prefix, (lacks, has) in groups.items():
        what = f"the dict {_dict_name(prefix)}{name} returned"
        lacking = ", ".join(repr(e) for e in lacks)
        parts.append(f"{what} has the keys {', '.join(repr(e) for e in has)} where {lacking} were expected" if has
                     else f"{what} lacks the keys {lacking}")
        if prefix.endswith("d"):
            parts[-1] += " (the gradients have the same keys as the parameters)"
    return "; ".join(parts)


def _dict_name(prefix):
    layer = re.match(r"layer(\d+)_", prefix)
    where = f"(layer {layer.group(1)}) " if layer else ""
    kind = prefix[layer.end():] if layer else prefix
    return {"d": "of gradients ", "clipped_": "of clipped gradients ", "input_": "passed in, after the call, "}.get(
        kind, "") + where


def _judged(name, case, outputs, expected, mistakes):
    """For checks graded on properties: the judge's verdict, and the hint of a mistake the outputs resemble."""
    problem = case.judge(outputs, expected)
    if problem is None:
        return None
    like = [hint for hint, mistake in mistakes
            if "error" not in mistake and case.resembles is not None and case.resembles(outputs, mistake)]
    return f"{name}: {problem}" + (f"\nProbably: {like[0]}" if like else "")
