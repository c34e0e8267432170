"""Input validation shared by every module: clear errors that name the argument and both shapes."""

import numpy as np


class Shapes:
    """Checks arrays against symbolic shapes such as ("N", "D"), binding each letter on first sight.

    >>> dims = Shapes()
    >>> dims.check("x_t", x_t, ("N", "D"))      # binds N and D
    >>> dims.check("s_prev", s_prev, ("N", "H")) # N must agree; binds H
    """

    def __init__(self, **known):
        self.dims = dict(known)

    def check(self, name, array, spec):
        if not isinstance(array, np.ndarray):
            raise ValueError(f"{name} must be a numpy array of shape ({', '.join(spec)}), "
                             f"got {type(array).__name__}")
        if array.ndim == len(spec):
            for letter, size in zip(spec, array.shape, strict=True):
                self.dims.setdefault(letter, size)
        expected = tuple(self.dims.get(letter, letter) for letter in spec)
        if array.shape != expected:
            raise ValueError(f"{name} has shape {array.shape}, expected ({', '.join(spec)}) = {_fmt(expected)}")
        return array

    def __getitem__(self, letter):
        return self.dims[letter]


def _fmt(shape):
    return "(" + ", ".join(str(s) for s in shape) + (",)" if len(shape) == 1 else ")")


def require_keys(name, params, keys):
    """Raise a ValueError naming every key of `params` that is missing."""
    if not isinstance(params, dict):
        raise ValueError(f"{name} must be a dict with keys {', '.join(keys)}, got {type(params).__name__}")
    missing = [k for k in keys if k not in params]
    if missing:
        raise ValueError(f"{name} is missing key(s) {', '.join(repr(k) for k in missing)}; "
                         f"expected keys {', '.join(keys)}")


def require_finite(name, array):
    """NaN or inf in an input would silently poison every later step: stop at the door instead."""
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or inf values")


def check_shape(name, array, expected, spec):
    """For upstream gradients: `array` must have the shape of the value it is the gradient of."""
    if not isinstance(array, np.ndarray) or array.shape != tuple(expected):
        got = array.shape if isinstance(array, np.ndarray) else type(array).__name__
        raise ValueError(f"{name} has shape {got}, expected {spec} = {_fmt(tuple(expected))}")
    return array


def require_steps(name, xs):
    if xs.shape[0] == 0:
        raise ValueError(f"{name} has shape {xs.shape}: a sequence needs at least one time step (T >= 1)")
