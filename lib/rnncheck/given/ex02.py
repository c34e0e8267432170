"""Exercise 2's numerical gradient, given to exercise 4 (see rnncheck.given)."""

import numpy as np


def numerical_gradient(f, x, df=None, eps=1e-6):
    """The gradient of f at x by central differences.

    f: takes an array shaped like x. If df is None, f returns a scalar L and the result is dL/dx;
    otherwise the result is the gradient of np.sum(f(x) * df). Returns an array shaped like x.
    x is not modified.
    """
    def value(p):
        out = f(p)
        return float(out) if df is None else float(np.sum(out * df))

    xp = x.astype(np.float64)  # a copy: x itself is never touched
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = xp[idx]
        xp[idx] = old + eps
        plus = value(xp)
        xp[idx] = old - eps
        minus = value(xp)
        xp[idx] = old
        grad[idx] = (plus - minus) / (2 * eps)
    return grad
