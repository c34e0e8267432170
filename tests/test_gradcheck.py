"""rnnlib.gradcheck, validated against analytic derivatives of simple functions."""

import math
import warnings

import numpy as np
import pytest

from rnnlib.gradcheck import numerical_gradient, rel_error


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2)])
def test_scalar_function_sum_sin(rng, shape):
    x = rng.standard_normal(shape)
    grad = numerical_gradient(lambda z: np.sum(np.sin(z)), x)
    assert grad.shape == shape
    np.testing.assert_allclose(grad, np.cos(x), rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize(("N", "D", "K"), [(3, 4, 2), (1, 2, 5)])
def test_matrix_product_with_upstream_gradient(rng, N, D, K):
    A = rng.standard_normal((D, K))
    x = rng.standard_normal((N, D))
    df = rng.standard_normal((N, K))
    grad = numerical_gradient(lambda z: z @ A, x, df)
    assert grad.shape == (N, D)
    np.testing.assert_allclose(grad, df @ A.T, rtol=1e-8, atol=1e-9)


def test_nonlinear_function_with_upstream_gradient(rng):
    A = rng.standard_normal((3, 4))
    x = rng.standard_normal((2, 3))
    df = rng.standard_normal((2, 4))
    grad = numerical_gradient(lambda z: np.tanh(z @ A), x, df=df)
    expected = ((1.0 - np.tanh(x @ A) ** 2) * df) @ A.T
    np.testing.assert_allclose(grad, expected, rtol=1e-8, atol=1e-9)


def test_upstream_gradient_is_used(rng):
    x = rng.standard_normal(4)
    df = np.array([1.0, -2.0, 0.0, 3.0])
    grad = numerical_gradient(lambda z: 2.0 * z, x, df=df)
    np.testing.assert_allclose(grad, 2.0 * df, rtol=1e-9, atol=1e-9)


def test_central_differences_with_given_eps(rng):
    x = rng.standard_normal(6)
    eps = 1e-2
    # For z**2 central differences are exact (a one-sided difference would be off by eps).
    grad = numerical_gradient(lambda z: np.sum(z**2), x, eps=eps)
    np.testing.assert_allclose(grad, 2.0 * x, rtol=1e-10, atol=1e-10)
    # For z**3 they give 3 z**2 + eps**2 exactly, which shows eps is the one given.
    grad = numerical_gradient(lambda z: np.sum(z**3), x, eps=eps)
    np.testing.assert_allclose(grad, 3.0 * x**2 + eps**2, rtol=1e-10, atol=1e-10)
    grad = numerical_gradient(lambda z: np.sum(z**3), x, eps=0.1)
    np.testing.assert_allclose(grad, 3.0 * x**2 + 0.01, rtol=1e-10, atol=1e-10)


def test_does_not_mutate_x(rng):
    x = rng.standard_normal((3, 4))
    before = x.copy()
    numerical_gradient(lambda z: np.sum(np.sin(z)), x)
    assert x.tobytes() == before.tobytes()
    numerical_gradient(lambda z: z @ np.ones((4, 2)), x, np.ones((3, 2)))
    assert x.tobytes() == before.tobytes()


def test_does_not_mutate_x_when_f_mutates_its_argument(rng):
    x = rng.standard_normal((2, 3))
    before = x.copy()

    def f_scalar(z):
        z *= 3.0
        z += 1.0
        return np.sum(z**2)

    def f_array(z):
        z -= 5.0
        return z * 2.0

    numerical_gradient(f_scalar, x)
    assert x.tobytes() == before.tobytes()
    numerical_gradient(f_array, x, df=np.ones((2, 3)))
    assert x.tobytes() == before.tobytes()


def test_returns_new_array(rng):
    x = rng.standard_normal(3)
    grad = numerical_gradient(lambda z: np.sum(z), x)
    assert not np.shares_memory(grad, x)
    np.testing.assert_allclose(grad, np.ones(3), rtol=1e-9)


# ---------------------------------------------------------------- rel_error


def test_rel_error_zero_for_equal_arrays(rng):
    a = rng.standard_normal((3, 4))
    assert rel_error(a, a.copy()) == 0.0


def test_rel_error_zero_arrays_is_zero_without_warnings():
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        err = rel_error(np.zeros(3), np.zeros(3))
    assert err == 0.0


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([1.0, 0.0], [0.0, 1.0], math.sqrt(2.0) / 2.0),
        ([2.0], [1.0], 1.0 / 3.0),
        ([3.0, 4.0], [0.0, 0.0], 1.0),
        ([1.0, 2.0, 2.0], [1.0, 2.0, 2.0 + 1e-3], 1e-3 / (3.0 + math.sqrt(1.0 + 4.0 + (2.0 + 1e-3) ** 2))),
    ],
)
def test_rel_error_hand_values(a, b, expected):
    a, b = np.array(a), np.array(b)
    assert rel_error(a, b) == pytest.approx(expected, rel=1e-12)
    assert rel_error(b, a) == pytest.approx(expected, rel=1e-12)


def test_rel_error_is_norm_based_not_elementwise():
    # An elementwise relative error would be 1/3 in the tiny second entry; the norm-based one is tiny.
    a = np.array([1.0, 1e-12])
    b = np.array([1.0, 2e-12])
    assert rel_error(a, b) == pytest.approx(1e-12 / (math.hypot(1.0, 1e-12) + math.hypot(1.0, 2e-12)), rel=1e-6)
    assert rel_error(a, b) < 1e-11


def test_checker_detects_a_wrong_gradient(rng):
    x = rng.standard_normal(10)
    grad = numerical_gradient(lambda z: np.sum(np.sin(z)), x)
    assert rel_error(grad, np.cos(x)) < 1e-8
    assert rel_error(grad, -np.cos(x)) == pytest.approx(1.0, rel=1e-6)
    assert rel_error(grad, np.sin(x)) > 0.1
