"""Exercise 4's backward pass of the LSTM, given to exercise 5 (see rnncheck.given).

It reads the caches of rnncheck.given.ex03's forward pass.
"""

import numpy as np


def lstm_step_backward(dh_t, dC_t, cache):
    """Backward through one step. Returns dx_t (N, D_in), dh_prev, dC_prev (N, H) and grads."""
    f, i, C_tilde, o = cache["f_t"], cache["i_t"], cache["C_tilde_t"], cache["o_t"]
    H = dh_t.shape[1]
    tanh_C = np.tanh(cache["C_t"])
    dC = dC_t + dh_t * o * (1 - tanh_C**2)
    da = {"f": dC * cache["C_prev"] * f * (1 - f), "i": dC * C_tilde * i * (1 - i),
          "C": dC * i * (1 - C_tilde**2), "o": dh_t * tanh_C * o * (1 - o)}
    grads, dz = {}, np.zeros_like(cache["z_t"])  # dz: (N, H + D_in)
    for g in "fiCo":
        grads[f"W_{g}"], grads[f"b_{g}"] = da[g].T @ cache["z_t"], da[g].sum(axis=0)
        dz += da[g] @ cache["params"][f"W_{g}"]
    return dz[:, H:], dz[:, :H], dC * f, grads


def lstm_backward(dhs, cache, dC_n=None):
    """Backpropagation through time for one layer: dhs (T, N, H), the gradient of every h_t of the layer.

    dC_n: optional (N, H) gradient of the last cell state. Returns dxs (T, N, D_in), dh0 (N, H), dC0 (N, H)
    and grads, a dict with the keys of params (summed over time). Keeps the dtype of dhs (float32 in, float32 out).
    """
    steps, params = cache["steps"], cache["params"]
    T, N, D_in = cache["xs_shape"]
    H = params["W_f"].shape[0]
    if dhs.shape != (T, N, H):
        raise ValueError(f"dhs must have this layer's hidden states' shape {(T, N, H)}, got {dhs.shape}")
    dxs = np.zeros((T, N, D_in), dtype=dhs.dtype)
    dh_next = np.zeros((N, H), dtype=dhs.dtype)
    dC_next = np.zeros((N, H), dtype=dhs.dtype) if dC_n is None else dC_n
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    for t in reversed(range(T)):
        dxs[t], dh_next, dC_next, step_grads = lstm_step_backward(dhs[t] + dh_next, dC_next, steps[t])
        for k in grads:
            grads[k] += step_grads[k]
    return dxs, dh_next, dC_next, grads
