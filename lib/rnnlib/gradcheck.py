"""Numerical gradients by central differences, to check any backward pass against its forward."""

import numpy as np


def numerical_gradient(f, x, df=None, eps=1e-6):
    """The gradient of f at x by central differences: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps).

    f takes one array of x's shape. If df is None, f must return a scalar; otherwise the result is the
    gradient of sum(f(x) * df), the vector-Jacobian product that a backward pass computes for the
    upstream gradient df. x is never modified: f always receives a fresh copy.
    """
    x = np.asarray(x)
    point = x.astype(np.float64)  # a float64 copy: differences in float32 would drown in rounding
    grad = np.zeros(x.shape)

    def value(p):
        out = f(p.copy())
        if df is None:
            if np.ndim(out) != 0:
                raise ValueError(f"f returned shape {np.shape(out)}; pass df (the upstream gradient) "
                                 "for a function that returns an array")
            return float(out)
        return float(np.sum(np.asarray(out) * df))

    for idx in np.ndindex(x.shape):
        point[idx] = float(x[idx]) + eps
        plus = value(point)
        point[idx] = float(x[idx]) - eps
        minus = value(point)
        point[idx] = x[idx]
        grad[idx] = (plus - minus) / (2 * eps)
    return grad


def rel_error(a, b):
    """||a - b|| / (||a|| + ||b||): scale-free, 0 for equal arrays, about 1e-9 or less for a correct
    float64 gradient checked with eps = 1e-6. Norm-based, so one tiny entry cannot dominate it."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error needs two arrays of one shape, got {a.shape} and {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)
