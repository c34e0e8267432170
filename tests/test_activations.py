"""rnnlib.activations: sigmoid, tanh, softmax against plain math and torch, and at extreme inputs."""

import math
import warnings

import numpy as np
import pytest
import torch

from rnnlib.activations import sigmoid, softmax, tanh


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (0.0, 0.5),
        (math.log(3.0), 0.75),
        (-math.log(3.0), 0.25),
        (2.0, 1.0 / (1.0 + math.exp(-2.0))),
        (-5.5, 1.0 / (1.0 + math.exp(5.5))),
    ],
)
def test_sigmoid_hand_values(x, expected):
    out = sigmoid(np.array([x]))
    assert out.shape == (1,)
    assert out[0] == pytest.approx(expected, rel=1e-15, abs=1e-16)


@pytest.mark.parametrize("x", [0.0, 0.5, -1.25, 3.0, math.log(2.0)])
def test_tanh_hand_values(x):
    out = tanh(np.array([[x]]))
    assert out.shape == (1, 1)
    expected = (math.exp(x) - math.exp(-x)) / (math.exp(x) + math.exp(-x))
    assert out[0, 0] == pytest.approx(expected, rel=1e-14, abs=1e-16)


def test_softmax_hand_values():
    # exp(0) : exp(ln 2) : exp(ln 5) = 1 : 2 : 5
    out = softmax(np.array([[0.0, math.log(2.0), math.log(5.0)]]))
    np.testing.assert_allclose(out, [[1 / 8, 2 / 8, 5 / 8]], rtol=1e-14)


@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 5)])
def test_sigmoid_tanh_match_torch(rng, shape):
    x = 4.0 * rng.standard_normal(shape)
    t = torch.from_numpy(x)
    s = sigmoid(x)
    th = tanh(x)
    assert s.shape == shape and th.shape == shape
    np.testing.assert_allclose(s, torch.sigmoid(t).numpy(), rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(th, torch.tanh(t).numpy(), rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize(("shape", "axis"), [((5,), -1), ((3, 4), -1), ((3, 4), 0), ((2, 3, 5), 1), ((2, 3, 5), -1)])
def test_softmax_matches_torch(rng, shape, axis):
    x = 3.0 * rng.standard_normal(shape)
    out = softmax(x, axis=axis)
    assert out.shape == shape
    np.testing.assert_allclose(out, torch.softmax(torch.from_numpy(x), dim=axis).numpy(), rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(out.sum(axis=axis), 1.0, rtol=0, atol=1e-14)


def test_softmax_default_axis_is_last(rng):
    x = rng.standard_normal((3, 4))
    np.testing.assert_array_equal(softmax(x), softmax(x, axis=-1))
    assert not np.allclose(softmax(x), softmax(x, axis=0))


def test_softmax_shift_invariant(rng):
    x = rng.standard_normal((4, 6))
    np.testing.assert_allclose(softmax(x + 123.0), softmax(x), rtol=1e-12)


def test_sigmoid_symmetry(rng):
    x = 10 * rng.standard_normal(50)
    np.testing.assert_allclose(sigmoid(x) + sigmoid(-x), 1.0, rtol=0, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_inputs_are_stable(dtype):
    x = np.array([-1000.0, -20.0, 0.0, 20.0, 1000.0], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        s = sigmoid(x)
        th = tanh(x)
        sm = softmax(np.array([[1000.0, -1000.0], [1000.0, 1000.0], [-1000.0, -1000.0]], dtype=dtype))
        sm_col = softmax(np.array([[1000.0], [-1000.0]], dtype=dtype), axis=0)
    for out in (s, th, sm, sm_col):
        assert np.all(np.isfinite(out))
        assert out.dtype == dtype
    np.testing.assert_allclose(s[1:], [1.0 / (1.0 + math.exp(20.0)), 0.5, 1.0 / (1.0 + math.exp(-20.0)), 1.0],
                               rtol=1e-6, atol=0)
    assert 0.0 <= s[0] < 1e-30
    np.testing.assert_allclose(th, [-1.0, -1.0, 0.0, 1.0, 1.0], rtol=0, atol=1e-7)
    np.testing.assert_allclose(sm, [[1.0, 0.0], [0.5, 0.5], [0.5, 0.5]], rtol=0, atol=1e-30)
    np.testing.assert_allclose(sm_col, [[1.0], [0.0]], rtol=0, atol=1e-30)


@pytest.mark.parametrize("fn", [sigmoid, tanh, softmax])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dtype_kept_and_input_untouched(rng, fn, dtype):
    x = rng.standard_normal((3, 5)).astype(dtype)
    before = x.copy()
    out = fn(x)
    assert out.dtype == dtype
    assert out.shape == x.shape
    np.testing.assert_array_equal(x, before)
    # float32 results agree with the float64 computation to float32 precision.
    np.testing.assert_allclose(out, fn(x.astype(np.float64)), rtol=1e-6, atol=1e-7)
