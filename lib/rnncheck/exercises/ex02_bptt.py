"""Exercise 2, backpropagation through time: a numerical gradient, one RNN step backward, the RNN backward through
time, and clipping by global norm."""

import numpy as np

from ..draw import named, normal, rnn_params
from ..exercise import Exercise, variant

EXERCISE = Exercise("ex02_bptt")

EXERCISE.grade("numerical_gradient", points=3)
EXERCISE.grade("rnn_step_backward", points=4, flow=(
    ("dW", "δW = δaᵀ s_{t-1}, with δa = δs_t * (1 − s_t²)"),
    ("dU", "δU = δaᵀ x_t"),
    ("db", "δb = δa summed over the batch rows"),
    ("ds_prev", "δs_{t-1} = δa W"),
    ("dx_t", "δx_t = δa U"),
))
EXERCISE.grade("rnn_backward", points=4, callees=("rnn_step_backward",), flow=(
    ("dxs", "dxs[t] = the δx_t of step t, called with dss[t] + the δs_{t-1} step t+1 returned"),
    ("dW", "δW = the sum over t of every step's δW"),
    ("dU", "δU = the sum over t of every step's δU"),
    ("db", "δb = the sum over t of every step's δb"),
    ("ds0", "δs_0 = the δs_{t-1} that the first step (t = 0) returns"),
))
EXERCISE.grade("clip_by_global_norm", points=2)


@EXERCISE.case("numerical_gradient")
def _numerical_gradient(rng, fns, M, K, eps=None, lead=(3,), x_dtype="float64"):
    """x is (*lead, M): any shape, (M,) for lead=(). eps=None calls with the default eps; a larger eps (1e-3) tells
    a central difference from a one-sided one. x_dtype="float32": x is float32, and the differences must still be
    taken in float64. input_x is x after both calls: numerical_gradient must leave it as it was."""
    A, x, df = normal(rng, M, K), normal(rng, *lead, M, dtype=x_dtype), normal(rng, *lead, K)
    step = {} if eps is None else {"eps": eps}

    def f(x):  # an array-valued function whose gradient has a closed form
        return np.tanh(x @ A)

    grad = fns.numerical_gradient(f, x, df, **step)
    grad_scalar = fns.numerical_gradient(lambda x: np.sum(x**3), x, **step)
    return {"grad": grad, "grad_scalar": grad_scalar, "input_x": x}


@EXERCISE.case("rnn_step_backward", needs=("rnn_step_forward",))
def _rnn_step_backward(rng, fns, N, D, H, dtype="float64"):
    x_t, s_prev, params = normal(rng, N, D, dtype=dtype), normal(rng, N, H, dtype=dtype), rnn_params(rng, D, H, dtype)
    ds_t = normal(rng, N, H, dtype=dtype)
    _, cache = fns.rnn_step_forward(x_t, s_prev, params)
    dx_t, ds_prev, grads = fns.rnn_step_backward(ds_t, cache)
    return {"dx_t": dx_t, "ds_prev": ds_prev, **named("d", grads), "input_ds_t": ds_t}


@EXERCISE.case("rnn_backward", needs=("rnn_forward",))
def _rnn_backward(rng, fns, T, N, D, H, dtype="float64"):
    xs, s0, params = normal(rng, T, N, D, dtype=dtype), normal(rng, N, H, dtype=dtype), rnn_params(rng, D, H, dtype)
    dss = normal(rng, T, N, H, dtype=dtype)
    _, cache = fns.rnn_forward(xs, s0, params)
    dxs, ds0, grads = fns.rnn_backward(dss, cache)
    return {"dxs": dxs, "ds0": ds0, **named("d", grads), "input_dss": dss}


@EXERCISE.case("clip_by_global_norm")
def _clip_by_global_norm(rng, fns, H, scale, dtype="float64"):
    grads = {"U": normal(rng, H, 2, scale=scale, dtype=dtype), "W": normal(rng, H, H, scale=scale, dtype=dtype),
             "b": normal(rng, H, scale=scale, dtype=dtype)}
    clipped, norm = fns.clip_by_global_norm(grads, 5.0)  # scale 0.2: norm below 5, left alone; scale 3: clipped
    # input_*: the gradients passed in, after the call: clipping returns new arrays and leaves these alone
    return {"norm": np.asarray(norm, dtype=float), **named("clipped_", clipped), **named("input_", grads)}


# --- grader only: references and mistakes (a graded kernel sees this module cut here) ---
EXERCISE.reference("numerical_gradient", "rnnlib.gradcheck.numerical_gradient")
EXERCISE.reference("rnn_step_backward", "rnnlib.rnn.rnn_step_backward")
EXERCISE.reference("rnn_backward", "rnnlib.rnn.rnn_backward")
EXERCISE.reference("clip_by_global_norm", "rnnlib.optim.clip_by_global_norm")

# rnn_step_backward ----------------------------------------------------------------------------------------
_STEP_BACK = '''
def rnn_step_backward(ds_t, cache):
    x_t, s_prev, s_t = cache["x_t"], cache["s_prev"], cache["s_t"]
    U, W = cache["params"]["U"], cache["params"]["W"]
    da = {da}
    grads = {{"U": {dU}, "W": {dW}, "b": {db}}}
    return da @ U, {ds_prev}, grads
'''
_step_back = variant(_STEP_BACK, {"da": "ds_t * (1 - s_t**2)", "dU": "da.T @ x_t", "dW": "da.T @ s_prev",
                                  "db": "da.sum(axis=0)", "ds_prev": "da @ W"})

EXERCISE.mistake("rnn_step_backward", "the gradient must go back through the tanh first: da = ds_t * (1 - s_t**2)",
                 _step_back(da="ds_t"))
EXERCISE.mistake("rnn_step_backward", "tanh'(a_t) = 1 - tanh(a_t)**2 = 1 - s_t**2: multiply ds_t by that "
                 "derivative, not by tanh(a_t) = s_t itself", _step_back(da="ds_t * s_t"))
EXERCISE.mistake("rnn_step_backward", "s_t is already tanh(a_t): the derivative is 1 - s_t**2, not "
                 "1 - tanh(s_t)**2 (that applies the tanh twice)", _step_back(da="ds_t * (1 - np.tanh(s_t)**2)"))
EXERCISE.mistake("rnn_step_backward", "dW = da^T s_prev: W multiplied the PREVIOUS state s_prev, not s_t",
                 _step_back(dW="da.T @ s_t"))
EXERCISE.mistake("rnn_step_backward", "db must have b's shape (H,): sum da over the batch (axis=0)",
                 _step_back(db="da"))
EXERCISE.mistake("rnn_step_backward", "ds_prev = da @ W, without a transpose: the forward pass used s_prev @ W.T",
                 _step_back(ds_prev="da @ W.T"))
EXERCISE.mistake("rnn_step_backward", "dU must have U's shape (H, D): da.T @ x_t, not x_t.T @ da",
                 _step_back(dU="x_t.T @ da"))
EXERCISE.mistake("rnn_step_backward", "rnn_step_backward changed the ds_t it was given: after da = ds_t, "
                 "da *= ... multiplies the caller's array in place (both names are one array); write "
                 "da = ds_t * (1 - s_t**2), a new array", _step_back(da="ds_t\n    da *= 1 - s_t**2"))

# rnn_backward ---------------------------------------------------------------------------------------------
_BPTT = '''
def rnn_backward(dss, cache):
    steps = cache["steps"]
    T = len(steps)
    grads = {{k: np.zeros_like(cache["params"][k]) for k in ("U", "W", "b")}}
    dxs = {alloc}
    ds_prev = {start}
    for t in {order}:
        {before}
        dxs[t], ds_prev, step_grads = rnn_step_backward({upstream}, steps[t])
        for k in grads:
            grads[k] {accumulate} step_grads[k]
    return dxs, ds_prev, grads
'''
_bptt = variant(_BPTT, {"alloc": 'np.zeros((T,) + steps[0]["x_t"].shape, dtype=dss.dtype)',
                        "start": "np.zeros_like(cache['s0'])", "order": "reversed(range(T))", "before": "pass",
                        "upstream": "dss[t] + ds_prev", "accumulate": "+="})

EXERCISE.mistake("rnn_backward", "the gradient through the time loop is missing: the gradient reaching s_t is "
                 "dss[t] PLUS the ds_prev that flows back from step t+1", _bptt(upstream="dss[t]"))
EXERCISE.mistake("rnn_backward", "every s_t gets its own upstream gradient dss[t]: add dss[t] to what flows back "
                 "from step t+1 at every step, not only at the last one",
                 _bptt(start="np.zeros_like(cache['s0']) + dss[-1]", upstream="ds_prev"))
EXERCISE.mistake("rnn_backward", "U, W and b are shared by every step: add up (+=) their gradients over all steps, "
                 "do not keep only one step's", _bptt(accumulate="="))
EXERCISE.mistake("rnn_backward", "go backwards in time, from t = T-1 down to 0: step t needs the gradient from "
                 "step t+1", _bptt(order="range(T)"))
EXERCISE.mistake("rnn_backward", "dxs is float64 although the inputs are float32: np.zeros(...) makes float64 "
                 "whatever the inputs; give it their dtype (dtype=dss.dtype)",
                 _bptt(alloc='np.zeros((T,) + steps[0]["x_t"].shape)'))
EXERCISE.mistake("rnn_backward", "rnn_backward changed the dss it was given: dss[t] += ... adds into the caller's "
                 "array; pass the sum as a new array, rnn_step_backward(dss[t] + ds_next, ...)",
                 _bptt(before="dss[t] += ds_prev", upstream="dss[t]"))

# numerical_gradient ---------------------------------------------------------------------------------------
_NUMGRAD = '''
def numerical_gradient(f, x, df=None, eps=1e-6):
    def value(p):
        out = f(p)
        return out if df is None else np.sum(out * {df})

    work = {work}
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = float(work[idx])
        work[idx] = old + eps
        plus = value(work)
        work[idx] = old - {back}
        minus = value(work)
        {restore}
        grad[idx] = (plus - minus) / {divide}
    return grad
'''
_numgrad = variant(_NUMGRAD, {"df": "df", "work": "x.astype(np.float64)", "back": "eps", "restore": "work[idx] = old",
                              "divide": "(2 * eps)"})

EXERCISE.mistake("numerical_gradient", "use the central difference (f(x + eps) - f(x - eps)) / (2 eps): a "
                 "one-sided difference from x is less accurate",
                 _numgrad(back="0", divide="eps").replace("old - 0", "old"))
EXERCISE.mistake("numerical_gradient", "the two points x + eps and x - eps are 2 eps apart: divide by 2 * eps",
                 _numgrad(divide="eps"))
EXERCISE.mistake("numerical_gradient", "x has changed after the call: put every entry back after you perturb it "
                 "(or perturb a copy of x)", _numgrad(work="x", restore="pass"))
EXERCISE.mistake("numerical_gradient", "with an upstream gradient df, differentiate sum(f(x) * df), not sum(f(x))",
                 _numgrad(df="1"))
EXERCISE.mistake("numerical_gradient", "perturb a float64 copy of x, x.astype(np.float64): x.copy() keeps a float32 "
                 "x float32, where x + eps is rounded so far that the differences are wrong", _numgrad(work="x.copy()"))
EXERCISE.mistake("numerical_gradient", "visit every entry of x whatever its shape, (M,), (N, M) or (T, N, M): "
                 "for idx in np.ndindex(x.shape), not two loops over x.shape[0] and x.shape[1]", """
def numerical_gradient(f, x, df=None, eps=1e-6):
    def value(p):
        out = f(p)
        return out if df is None else np.sum(out * df)

    work = x.astype(np.float64)
    grad = np.zeros(x.shape)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            old = float(work[i, j])
            work[i, j] = old + eps
            plus = value(work)
            work[i, j] = old - eps
            minus = value(work)
            work[i, j] = old
            grad[i, j] = (plus - minus) / (2 * eps)
    return grad
""")

# clip_by_global_norm --------------------------------------------------------------------------------------
EXERCISE.mistake("clip_by_global_norm", "scale every gradient by max_norm / norm; clipping each entry to "
                 "[-max_norm, max_norm] changes the direction of the update", """
def clip_by_global_norm(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    return {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}, norm
""")
EXERCISE.mistake("clip_by_global_norm", "scale only when norm > max_norm: gradients whose norm is already small are "
                 "returned unchanged", """
def clip_by_global_norm(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    return {k: g * (max_norm / norm) for k, g in grads.items()}, norm
""")
EXERCISE.mistake("clip_by_global_norm", "return the norm BEFORE clipping (it tells how large the gradient really "
                 "was)", """
def clip_by_global_norm(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    scale = max_norm / norm if norm > max_norm else 1.0
    clipped = {k: g * scale for k, g in grads.items()}
    return clipped, np.sqrt(sum(np.sum(g**2) for g in clipped.values()))
""")
EXERCISE.mistake("clip_by_global_norm", "the global norm is the square root of the sum of the squares of ALL "
                 "entries, not the sum of each array's norm", """
def clip_by_global_norm(grads, max_norm):
    norm = sum(np.linalg.norm(g) for g in grads.values())
    scale = max_norm / norm if norm > max_norm else 1.0
    return {k: g * scale for k, g in grads.items()}, norm
""")
EXERCISE.mistake("clip_by_global_norm", "the gradients passed in have changed: return new arrays (g * scale) in a "
                 "new dict and leave grads as they are", """
def clip_by_global_norm(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    if norm > max_norm:
        for g in grads.values():
            g *= max_norm / norm
    return grads, norm
""")
