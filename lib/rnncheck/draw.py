"""Inputs for the cases of rnncheck.exercises: arrays drawn from a Generator, in the course's shapes.

Every helper draws in float64 and then casts to `dtype`: a float32 case draws the same numbers as a float64 one.
"""

import numpy as np


def normal(rng, *shape, scale=1.0, dtype="float64"):
    return (scale * rng.standard_normal(shape)).astype(dtype)


def rnn_params(rng, D, H, dtype="float64"):
    return {"U": normal(rng, H, D, scale=0.5, dtype=dtype), "W": normal(rng, H, H, scale=0.5, dtype=dtype),
            "b": normal(rng, H, scale=0.5, dtype=dtype)}


def lstm_params(rng, D, H, dtype="float64"):
    params = {f"W_{g}": normal(rng, H, H + D, scale=0.5, dtype=dtype) for g in "fiCo"}
    params.update({f"b_{g}": normal(rng, H, scale=0.5, dtype=dtype) for g in "fiCo"})
    return params


def named(prefix, grads):
    """{"dU": ...} from a grads dict {"U": ...}."""
    return {f"{prefix}{k}": v for k, v in grads.items()}


def sigmoid(a):
    return 1 / (1 + np.exp(-a))
