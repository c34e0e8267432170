"""Exercise 1, the recurrence forward: softmax, one RNN step, the RNN over a sequence, and the output layer."""

import numpy as np

from ..draw import normal, rnn_params
from ..exercise import Exercise, WrongResult, variant

EXERCISE = Exercise("ex01_recurrence")

EXERCISE.grade("softmax", points=2)
EXERCISE.grade("rnn_step_forward", points=2)
EXERCISE.grade("rnn_forward", points=3, callees=("rnn_step_forward",))
EXERCISE.grade("softmax_output", points=2, callees=("softmax",))


@EXERCISE.case("softmax")
def _softmax(rng, fns, N, K, T=None, scale=3.0, dtype="float64"):
    """x is (N, K), or (T, N, K) when T is given: softmax works over the last axis of any shape; a large scale
    tests that it does not overflow. input_x: x after the call, which must leave it as it was."""
    x = normal(rng, *(() if T is None else (T,)), N, K, scale=scale, dtype=dtype)
    return {"probs": fns.softmax(x), "input_x": x}


@EXERCISE.case("rnn_step_forward")
def _rnn_step_forward(rng, fns, N, D, H, dtype="float64"):
    x_t, s_prev, params = normal(rng, N, D, dtype=dtype), normal(rng, N, H, dtype=dtype), rnn_params(rng, D, H, dtype)
    s_t, cache = fns.rnn_step_forward(x_t, s_prev, params)
    _cache_keys(cache, ("x_t", "s_prev", "s_t", "params"))
    return {"s_t": s_t}


def _cache_keys(cache, keys):
    """The cache a forward pass returns is what its backward pass reads: a dict with these keys."""
    if not isinstance(cache, dict) or set(cache) != set(keys):
        has = f"a dict with the keys {', '.join(sorted(map(str, cache)))}" if isinstance(cache, dict) \
            else f"a {type(cache).__name__}"
        raise WrongResult(f"returned as its cache {has}: it must be a dict with the keys {', '.join(keys)}")


@EXERCISE.case("rnn_forward")
def _rnn_forward(rng, fns, T, N, D, H, dtype="float64"):
    xs, s0, params = normal(rng, T, N, D, dtype=dtype), normal(rng, N, H, dtype=dtype), rnn_params(rng, D, H, dtype)
    ss, cache = fns.rnn_forward(xs, s0, params)
    _cache_keys(cache, ("steps", "s0", "params"))
    if len(cache["steps"]) != T:
        raise WrongResult(f"returned a cache whose 'steps' holds {len(cache['steps'])} step caches for {T} steps: "
                          "it holds the cache of every step, in time order")
    return {"ss": ss}


@EXERCISE.case("softmax_output")
def _softmax_output(rng, fns, T, N, H, K, dtype="float64"):
    ss, V, c = np.tanh(normal(rng, T, N, H)).astype(dtype), normal(rng, K, H, dtype=dtype), normal(rng, K, dtype=dtype)
    return {"os": fns.softmax_output(ss, V, c)}


# --- grader only: references and mistakes (a graded kernel sees this module cut here) ---
EXERCISE.reference("softmax", "rnnlib.activations.softmax")
EXERCISE.reference("rnn_step_forward", "rnnlib.rnn.rnn_step_forward")
EXERCISE.reference("rnn_forward", "rnnlib.rnn.rnn_forward")
EXERCISE.reference("softmax_output", "rnnlib.output.softmax_output")

# softmax --------------------------------------------------------------------------------------------------
EXERCISE.mistake("softmax", "normalise each row over the last axis (axis=-1): every row must sum to 1, not every "
                 "column", """
def softmax(x):
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
""")
EXERCISE.mistake("softmax", "subtract each row's maximum before np.exp: exp of a large score overflows to inf, "
                 "and inf / inf is NaN", """
def softmax(x):
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)
""")
EXERCISE.mistake("softmax", "the rows do not sum to 1: divide the exponentials by their sum over the row", """
def softmax(x):
    return np.exp(x)
""")
EXERCISE.mistake("softmax", "divide by the SUM of the exponentials of the row, not by their maximum", """
def softmax(x):
    e = np.exp(x)
    return e / e.max(axis=-1, keepdims=True)
""")
EXERCISE.mistake("softmax", "sum over the last axis only (axis=-1, keepdims=True): each row is its own "
                 "distribution, the whole array is not", """
def softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()
""")
EXERCISE.mistake("softmax", "take the max and the sum over the last axis, axis=-1: axis=1 is the last axis of an "
                 "(N, K) array only, and for (T, N, K) scores it is N", """
def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
""")
EXERCISE.mistake("softmax", "softmax changed the x it was given: x -= ... subtracts in place, in the caller's "
                 "array; write z = x - x.max(axis=-1, keepdims=True), a new array", """
def softmax(x):
    x -= x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)
""")

# rnn_step_forward -----------------------------------------------------------------------------------------
_STEP = '''
def rnn_step_forward(x_t, s_prev, params):
    U, W, b = params["U"], params["W"], params["b"]
    s_t = {expression}
    return s_t, {{"x_t": x_t, "s_prev": s_prev, "s_t": s_t, "params": params}}
'''
EXERCISE.mistake("rnn_step_forward", "s_t does not use the bias: add b inside the tanh",
                 _STEP.format(expression="np.tanh(x_t @ U.T + s_prev @ W.T)"))
EXERCISE.mistake("rnn_step_forward", "transpose W too: s_prev @ W.T (parameters are (out, in), so W s_{t-1} is "
                 "s_prev @ W.T)", _STEP.format(expression="np.tanh(x_t @ U.T + s_prev @ W + b)"))
EXERCISE.mistake("rnn_step_forward", "s_t is the pre-activation: apply np.tanh to x_t U^T + s_prev W^T + b",
                 _STEP.format(expression="x_t @ U.T + s_prev @ W.T + b"))
EXERCISE.mistake("rnn_step_forward", "s_t ignores the previous state: add s_prev @ W.T, the network's memory",
                 _STEP.format(expression="np.tanh(x_t @ U.T + b)"))

# rnn_forward ----------------------------------------------------------------------------------------------
_FORWARD = '''
def rnn_forward(xs, s0, params):
    T, N, H = xs.shape[0], xs.shape[1], s0.shape[1]
    ss = {alloc}
    steps, s_t = [], {start}
    for t in range(T):
        {step}
        steps.append(step)
    return {ss}, {{"steps": steps, "s0": s0, "params": params}}
'''
_forward = variant(_FORWARD, {"alloc": "np.zeros((T, N, H), dtype=xs.dtype)", "start": "s0", "ss": "ss",
                              "step": "s_t, step = rnn_step_forward(xs[t], s_t, params)\n        ss[t] = s_t"})

EXERCISE.mistake("rnn_forward", "your states ignore s0: the first step must start from the s0 you are given, not "
                 "from zeros", _forward(start="np.zeros_like(s0)"))
EXERCISE.mistake("rnn_forward", "every step starts from s0: pass the state of the previous step (s_{t-1}) to the "
                 "next step", _forward(step="s_t, step = rnn_step_forward(xs[t], s0, params)\n        ss[t] = s_t"))
EXERCISE.mistake("rnn_forward", "ss[t] must hold s_t, the state AFTER reading xs[t]; yours holds the state before "
                 "it (off by one step)",
                 _forward(step="ss[t] = s_t\n        s_t, step = rnn_step_forward(xs[t], s_t, params)"))
EXERCISE.mistake("rnn_forward", "ss must be time-major, (T, N, H): stack the states along axis 0",
                 _forward(ss="np.stack(list(ss), axis=1)"))
EXERCISE.mistake("rnn_forward", "ss is float64 although the inputs are float32: np.zeros((T, N, H)) makes float64 "
                 "whatever the inputs; give it their dtype, np.zeros((T, N, H), dtype=xs.dtype)",
                 _forward(alloc="np.zeros((T, N, H))"))

# softmax_output -------------------------------------------------------------------------------------------
EXERCISE.mistake("softmax_output", "os does not use the bias: o_t = softmax(V s_t + c)", """
def softmax_output(ss, V, c):
    return softmax(ss @ V.T)
""")
EXERCISE.mistake("softmax_output", "add c before the softmax, inside it: o_t = softmax(V s_t + c)", """
def softmax_output(ss, V, c):
    return softmax(ss @ V.T) + c
""")
EXERCISE.mistake("softmax_output", "os holds the logits V s_t + c: apply softmax so that each o_t is a distribution",
                 """
def softmax_output(ss, V, c):
    return ss @ V.T + c
""")
EXERCISE.mistake("softmax_output", "normalise over the K words (the last axis), not over time: every o_t must sum "
                 "to 1", """
def softmax_output(ss, V, c):
    a = ss @ V.T + c
    e = np.exp(a - a.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
""")
