"""rnncheck.given: the earlier exercises' functions that later exercises import compute what rnnlib computes, use
no rnnlib, and a graded kernel sees only those of earlier exercises."""

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rnncheck.given import ex01, ex02, ex03, ex04
from rnngrade.kernel_view import given_args
from rnnlib import gradcheck, init, lstm, rnn

GIVEN = Path(ex01.__file__).parent


def test_given_modules_import_numpy_only():
    for module in GIVEN.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
                assert names == ["numpy"], (module.name, names)


DTYPES = [np.float64, np.float32]


def same(ours, theirs, dtype):
    """Equal dtypes, and values equal to rounding in that dtype."""
    assert ours.dtype == theirs.dtype, (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12 if dtype == np.float64 else 1e-5, atol=0 if
                               dtype == np.float64 else 1e-6)


def cast(tree, dtype):
    return {k: v.astype(dtype) for k, v in tree.items()}


@pytest.mark.parametrize("dtype", DTYPES)
def test_given_rnn_equals_rnnlib(dtype):
    rng = np.random.default_rng(0)
    params = cast(init.rnn_params(3, 4, rng), dtype)
    xs, s0 = rng.standard_normal((5, 2, 3)).astype(dtype), rng.standard_normal((2, 4)).astype(dtype)
    same(ex01.rnn_forward(xs, s0, params)[0], rnn.rnn_forward(xs, s0, params)[0], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_given_numerical_gradient_equals_rnnlib(dtype):
    x = np.random.default_rng(1).standard_normal((3, 2)).astype(dtype)
    f = lambda v: np.sin(v) * v  # noqa: E731
    df = np.ones_like(x)
    ours, theirs = ex02.numerical_gradient(f, x, df), gradcheck.numerical_gradient(f, x, df)
    assert ours.dtype == theirs.dtype == np.float64  # the differences are taken in float64, whatever x is
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)


@pytest.mark.parametrize("dtype", DTYPES)
def test_given_lstm_equals_rnnlib(dtype):
    rng = np.random.default_rng(2)
    params = cast(init.lstm_params(3, 4, rng), dtype)
    xs, h0, C0 = (rng.standard_normal(shape).astype(dtype) for shape in ((5, 2, 3), (2, 4), (2, 4)))
    dhs = rng.standard_normal((5, 2, 4)).astype(dtype)
    hs, Cs, cache = ex03.lstm_forward(xs, h0, C0, params)
    hs_lib, Cs_lib, cache_lib = lstm.lstm_forward(xs, h0, C0, params)
    same(hs, hs_lib, dtype)
    same(Cs, Cs_lib, dtype)
    ours, theirs = ex04.lstm_backward(dhs, cache), lstm.lstm_backward(dhs, cache_lib)
    for a, b in zip(ours[:3], theirs[:3], strict=True):
        same(a, b, dtype)
    for k in params:
        same(ours[3][k], theirs[3][k], dtype)


@pytest.mark.parametrize(("assignment", "hidden"), [
    ("ex01_recurrence", {"ex01", "ex02", "ex03", "ex04"}),
    ("ex02_bptt", {"ex02", "ex03", "ex04"}),
    ("ex04_lstm_backprop", {"ex04"}),
    ("ex05_stacked", set()),
    ("", {"ex01", "ex02", "ex03", "ex04"}),
])
def test_a_graded_kernel_cannot_import_the_answers_of_its_own_or_later_exercises(tmp_path, assignment, hidden):
    args = given_args(assignment, tmp_path, GIVEN)
    targets = {Path(args[k + 2]).stem for k, a in enumerate(args) if a == "--ro-bind"}
    assert targets == hidden
    for k, a in enumerate(args):
        if a == "--ro-bind":
            done = subprocess.run([sys.executable, args[k + 1]], capture_output=True, text=True)
            assert "ImportError" in done.stderr and "cannot be imported" in done.stderr
