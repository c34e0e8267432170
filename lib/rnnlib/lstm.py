"""The LSTM, gate by gate: the readable reference implementation.

Every gate reads z_t = [h_{t-1}, x_t] (h first), so each weight matrix W_* has shape (H, H + D):

    f_t  = sigma(W_f [h_{t-1}, x_t] + b_f)        forget gate: what to throw away from C_{t-1}
    i_t  = sigma(W_i [h_{t-1}, x_t] + b_i)        input gate: how much of the candidate to write
    C~_t = tanh (W_C [h_{t-1}, x_t] + b_C)        candidate cell state
    C_t  = f_t * C_{t-1} + i_t * C~_t             cell update
    o_t  = sigma(W_o [h_{t-1}, x_t] + b_o)        output gate (not the RNN's output o_t)
    h_t  = o_t * tanh(C_t)                        hidden state

`rnnlib.fused` computes the same with one matrix product for all four gates; this module is the reference.
"""

from collections import Counter

import numpy as np

from ._checks import Shapes, check_shape, require_finite, require_keys, require_steps
from .activations import sigmoid

GATES = ("f", "i", "C", "o")
PARAM_KEYS = tuple(f"W_{g}" for g in GATES) + tuple(f"b_{g}" for g in GATES)


def check_lstm_params(dims, params, name="params"):
    """Check an LSTM params dict, binding H and D in `dims` (where not known yet) from its weights.

    The shape most of the four W_* share is taken as intended, so that the odd one out is the one named.
    """
    require_keys(name, params, PARAM_KEYS)
    shapes = [W.shape for W in (params[f"W_{g}"] for g in GATES) if isinstance(W, np.ndarray) and W.ndim == 2]
    if shapes:
        H, H_plus_D = Counter(shapes).most_common(1)[0][0]
        dims.dims.setdefault("H", H)
        dims.dims.setdefault("D", H_plus_D - dims["H"])
    if "H" in dims.dims and "D" in dims.dims:
        dims.dims.setdefault("H+D", dims["H"] + dims["D"])
    for g in GATES:
        dims.check(f"{name}['W_{g}']", params[f"W_{g}"], ("H", "H+D"))
        dims.check(f"{name}['b_{g}']", params[f"b_{g}"], ("H",))


def _gate(h_prev, x_t, W, b, activation, W_name, b_name):
    """activation([h_prev, x_t] @ W.T + b), after checking every shape against W's."""
    dims = Shapes()
    dims.check("h_prev", h_prev, ("N", "H"))
    dims.check("x_t", x_t, ("N", "D"))
    dims.dims["H+D"] = dims["H"] + dims["D"]
    dims.check(b_name, b, ("H",))
    dims.check(W_name, W, ("H", "H+D"))
    z_t = np.concatenate([h_prev, x_t], axis=1)  # (N, H + D), h first
    return activation(z_t @ W.T + b)  # (N, H)


def forget_gate(h_prev, x_t, W_f, b_f):
    """f_t = sigma(W_f [h_{t-1}, x_t] + b_f): near 0 forgets a component of C_{t-1}, near 1 keeps it.

    h_prev: (N, H); x_t: (N, D); W_f: (H, H + D); b_f: (H,). Returns f_t: (N, H), in (0, 1).
    """
    return _gate(h_prev, x_t, W_f, b_f, sigmoid, "W_f", "b_f")


def input_gate(h_prev, x_t, W_i, b_i):
    """i_t = sigma(W_i [h_{t-1}, x_t] + b_i): how much of each candidate component to write into the cell.

    h_prev: (N, H); x_t: (N, D); W_i: (H, H + D); b_i: (H,). Returns i_t: (N, H), in (0, 1).
    """
    return _gate(h_prev, x_t, W_i, b_i, sigmoid, "W_i", "b_i")


def candidate_cell(h_prev, x_t, W_C, b_C):
    """C~_t = tanh(W_C [h_{t-1}, x_t] + b_C): the new content proposed for the cell state.

    h_prev: (N, H); x_t: (N, D); W_C: (H, H + D); b_C: (H,). Returns C_tilde_t: (N, H), in (-1, 1).
    """
    return _gate(h_prev, x_t, W_C, b_C, np.tanh, "W_C", "b_C")


def cell_update(f_t, C_prev, i_t, C_tilde_t):
    """C_t = f_t * C_{t-1} + i_t * C~_t: keep what the forget gate lets through, add what the input gate admits.

    All arguments and the result: (N, H).
    """
    dims = Shapes()
    for name, a in (("f_t", f_t), ("C_prev", C_prev), ("i_t", i_t), ("C_tilde_t", C_tilde_t)):
        dims.check(name, a, ("N", "H"))
    return f_t * C_prev + i_t * C_tilde_t


def output_gate(h_prev, x_t, W_o, b_o):
    """o_t = sigma(W_o [h_{t-1}, x_t] + b_o): how much of the squashed cell state to show as h_t.

    h_prev: (N, H); x_t: (N, D); W_o: (H, H + D); b_o: (H,). Returns o_t: (N, H), in (0, 1).
    """
    return _gate(h_prev, x_t, W_o, b_o, sigmoid, "W_o", "b_o")


def hidden_state(o_t, C_t):
    """h_t = o_t * tanh(C_t). o_t, C_t and h_t: (N, H)."""
    dims = Shapes()
    dims.check("o_t", o_t, ("N", "H"))
    dims.check("C_t", C_t, ("N", "H"))
    return o_t * np.tanh(C_t)


def lstm_step_forward(x_t, h_prev, C_prev, params):
    """One LSTM step, gate by gate.

    x_t: (N, D); h_prev, C_prev: (N, H); params: W_f, W_i, W_C, W_o (H, H + D) and b_f, b_i, b_C, b_o (H,).
    Returns h_t, C_t (N, H) and the cache that lstm_step_backward needs.
    """
    dims = Shapes()
    check_lstm_params(dims, params)
    dims.check("x_t", x_t, ("N", "D"))
    dims.check("h_prev", h_prev, ("N", "H"))
    dims.check("C_prev", C_prev, ("N", "H"))
    p = params
    f_t = forget_gate(h_prev, x_t, p["W_f"], p["b_f"])
    i_t = input_gate(h_prev, x_t, p["W_i"], p["b_i"])
    C_tilde_t = candidate_cell(h_prev, x_t, p["W_C"], p["b_C"])
    C_t = cell_update(f_t, C_prev, i_t, C_tilde_t)
    o_t = output_gate(h_prev, x_t, p["W_o"], p["b_o"])
    h_t = hidden_state(o_t, C_t)
    cache = {"z_t": np.concatenate([h_prev, x_t], axis=1), "C_prev": C_prev, "f_t": f_t, "i_t": i_t,
             "C_tilde_t": C_tilde_t, "C_t": C_t, "o_t": o_t, "params": params}
    return h_t, C_t, cache


def lstm_step_backward(dh_t, dC_t, cache):
    """Backward through one LSTM step.

    dh_t, dC_t: (N, H), the gradients reaching h_t and C_t from above and from step t+1.
    Returns dx_t (N, D), dh_prev (N, H), dC_prev (N, H) and grads with the keys of params.
    """
    f, i, C_tilde, o = cache["f_t"], cache["i_t"], cache["C_tilde_t"], cache["o_t"]
    check_shape("dh_t", dh_t, f.shape, "(N, H)")
    check_shape("dC_t", dC_t, f.shape, "(N, H)")
    H = f.shape[1]
    tanh_C = np.tanh(cache["C_t"])
    # h_t = o_t * tanh(C_t): the gradient reaches o_t, and C_t on top of what came from step t+1.
    do = dh_t * tanh_C
    dC = dC_t + dh_t * o * (1 - tanh_C**2)
    # C_t = f_t * C_{t-1} + i_t * C~_t
    df, di, dC_tilde, dC_prev = dC * cache["C_prev"], dC * C_tilde, dC * i, dC * f
    # Back through each gate's nonlinearity: sigma' = s (1 - s), tanh' = 1 - t^2.
    da = {"f": df * f * (1 - f), "i": di * i * (1 - i), "C": dC_tilde * (1 - C_tilde**2), "o": do * o * (1 - o)}
    z_t, params = cache["z_t"], cache["params"]
    grads = {}
    dz = np.zeros_like(z_t)  # (N, H + D)
    for g in GATES:
        grads[f"W_{g}"] = da[g].T @ z_t
        grads[f"b_{g}"] = da[g].sum(axis=0)
        dz += da[g] @ params[f"W_{g}"]
    return dz[:, H:], dz[:, :H], dC_prev, grads


def check_lstm_sequence(xs, h0, C0, params):
    """Check the arguments of a sequence forward pass (here and in rnnlib.fused); returns the sizes."""
    dims = Shapes()
    check_lstm_params(dims, params)
    dims.check("xs", xs, ("T", "N", "D"))
    dims.check("h0", h0, ("N", "H"))
    dims.check("C0", C0, ("N", "H"))
    require_steps("xs", xs)
    require_finite("xs", xs)
    return dims


def lstm_forward(xs, h0, C0, params):
    """Run the LSTM over a sequence, step by step.

    xs: (T, N, D); h0, C0: (N, H). Returns hs, Cs (T, N, H), every hidden and cell state, and a cache.
    """
    check_lstm_sequence(xs, h0, C0, params)
    dtype = np.result_type(xs, h0, C0, params["W_f"])
    hs = np.empty((len(xs),) + h0.shape, dtype=dtype)  # (T, N, H)
    Cs = np.empty_like(hs)  # (T, N, H)
    steps, h_t, C_t = [], h0, C0
    for t in range(len(xs)):
        h_t, C_t, step = lstm_step_forward(xs[t], h_t, C_t, params)
        hs[t], Cs[t] = h_t, C_t
        steps.append(step)
    return hs, Cs, {"steps": steps, "xs_shape": xs.shape, "params": params}


def lstm_backward(dhs, cache, dC_n=None):
    """Backpropagation through time for the LSTM.

    dhs: (T, N, H), the upstream gradient of every h_t; dC_n: optional (N, H) gradient of the last C_T.
    Returns dxs (T, N, D), dh0 (N, H), dC0 (N, H) and grads with the keys of params (summed over time).
    """
    steps = cache["steps"]
    T, N, _ = cache["xs_shape"]
    H = steps[0]["f_t"].shape[1]
    check_shape("dhs", dhs, (T, N, H), "(T, N, H)")
    dC_next = np.zeros_like(steps[-1]["C_t"]) if dC_n is None else check_shape("dC_n", dC_n, (N, H), "(N, H)")
    dh_next = np.zeros_like(dC_next)
    dxs = np.empty(cache["xs_shape"], dtype=dhs.dtype)  # (T, N, D)
    grads = {k: np.zeros_like(cache["params"][k]) for k in PARAM_KEYS}
    for t in reversed(range(T)):
        dxs[t], dh_next, dC_next, step_grads = lstm_step_backward(dhs[t] + dh_next, dC_next, steps[t])
        for k in grads:
            grads[k] += step_grads[k]
    return dxs, dh_next, dC_next, grads
