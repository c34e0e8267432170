"""The plain RNN:  s_t = tanh(U x_t + W s_{t-1} + b).

In code, rows are batch items, so the recurrence reads  s_t = tanh(x_t @ U.T + s_prev @ W.T + b).
"""

import numpy as np

from ._checks import Shapes, check_shape, require_finite, require_keys, require_steps

PARAM_KEYS = ("U", "W", "b")


def check_rnn_params(dims, params):
    require_keys("params", params, PARAM_KEYS)
    dims.check("params['U']", params["U"], ("H", "D"))
    dims.check("params['W']", params["W"], ("H", "H"))
    dims.check("params['b']", params["b"], ("H",))


def rnn_step_forward(x_t, s_prev, params):
    """One step  s_t = tanh(x_t @ U.T + s_prev @ W.T + b).

    x_t: (N, D); s_prev: (N, H); params: U (H, D), W (H, H), b (H,).
    Returns s_t (N, H) and the cache that rnn_step_backward needs.
    """
    dims = Shapes()
    check_rnn_params(dims, params)
    dims.check("x_t", x_t, ("N", "D"))
    dims.check("s_prev", s_prev, ("N", "H"))
    s_t = np.tanh(x_t @ params["U"].T + s_prev @ params["W"].T + params["b"])  # (N, H)
    return s_t, {"x_t": x_t, "s_prev": s_prev, "s_t": s_t, "params": params}


def rnn_step_backward(ds_t, cache):
    """Backward through one step, given ds_t = dL/ds_t (N, H).

    With a_t = x_t U^T + s_prev W^T + b and s_t = tanh(a_t):  da_t = ds_t * (1 - s_t^2), then
    dx_t = da_t U,  ds_prev = da_t W,  dU = da_t^T x_t,  dW = da_t^T s_prev,  db = sum over the batch of da_t.
    """
    check_shape("ds_t", ds_t, cache["s_t"].shape, "(N, H)")
    params = cache["params"]
    da = ds_t * (1 - cache["s_t"] ** 2)  # (N, H)
    grads = {"U": da.T @ cache["x_t"], "W": da.T @ cache["s_prev"], "b": da.sum(axis=0)}
    return da @ params["U"], da @ params["W"], grads


def rnn_forward(xs, s0, params):
    """Run the recurrence over a whole sequence.

    xs: (T, N, D); s0: (N, H). Returns ss (T, N, H), the state after every step, and a cache.
    """
    dims = Shapes()
    check_rnn_params(dims, params)
    dims.check("xs", xs, ("T", "N", "D"))
    dims.check("s0", s0, ("N", "H"))
    require_steps("xs", xs)
    require_finite("xs", xs)
    T, N, H = xs.shape[0], xs.shape[1], dims["H"]
    ss = np.empty((T, N, H), dtype=np.result_type(xs, s0, params["W"]))  # (T, N, H)
    steps, s_t = [], s0
    for t in range(T):
        s_t, step = rnn_step_forward(xs[t], s_t, params)
        ss[t] = s_t
        steps.append(step)
    return ss, {"steps": steps, "s0": s0, "params": params}


def rnn_backward(dss, cache):
    """Backpropagation through time.

    dss: (T, N, H), the upstream gradient of every s_t (for example from an output layer at each step).
    The gradient reaching s_t is dss[t] plus what flows back from step t+1; weights are shared, so their
    gradients are summed over time. Returns dxs (T, N, D), ds0 (N, H) and grads with keys U, W, b.
    """
    steps = cache["steps"]
    check_shape("dss", dss, (len(steps),) + cache["s0"].shape, "(T, N, H)")
    grads = {k: np.zeros_like(v) for k, v in cache["params"].items() if k in PARAM_KEYS}
    dxs = np.empty((len(steps),) + steps[0]["x_t"].shape, dtype=dss.dtype)  # (T, N, D)
    ds_prev = np.zeros_like(cache["s0"])
    for t in reversed(range(len(steps))):
        dxs[t], ds_prev, step_grads = rnn_step_backward(dss[t] + ds_prev, steps[t])
        for k in grads:
            grads[k] += step_grads[k]
    return dxs, ds_prev, grads
