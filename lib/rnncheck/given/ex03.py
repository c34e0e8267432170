"""Exercise 3's LSTM step, and the loop of it over a sequence, given to exercises 4 and 5 (see rnncheck.given)."""

import numpy as np


def sigmoid(a):
    """The logistic function 1 / (1 + exp(-a)), computed without overflow for any a."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def lstm_step_forward(x_t, h_prev, C_prev, params):
    """One LSTM step. x_t: (N, D); h_prev, C_prev: (N, H); params: W_f, W_i, W_C, W_o (H, H + D), b_* (H,).

    Returns h_t, C_t (N, H) and the cache that lstm_step_backward reads.
    """
    z_t = np.concatenate([h_prev, x_t], axis=1)  # (N, H + D), h first
    f_t = sigmoid(z_t @ params["W_f"].T + params["b_f"])  # (N, H)
    i_t = sigmoid(z_t @ params["W_i"].T + params["b_i"])
    C_tilde_t = np.tanh(z_t @ params["W_C"].T + params["b_C"])
    C_t = f_t * C_prev + i_t * C_tilde_t
    o_t = sigmoid(z_t @ params["W_o"].T + params["b_o"])
    h_t = o_t * np.tanh(C_t)
    cache = {"z_t": z_t, "C_prev": C_prev, "f_t": f_t, "i_t": i_t, "C_tilde_t": C_tilde_t, "C_t": C_t,
             "o_t": o_t, "params": params}
    return h_t, C_t, cache


def lstm_forward(xs, h0, C0, params):
    """The LSTM over a sequence. xs: (T, N, D); h0, C0: (N, H).

    Returns hs, Cs (T, N, H), every hidden and cell state, and the cache that lstm_backward reads:
    {"steps": the T step caches, in time order, "xs_shape": (T, N, D), "params": params}. Keeps the dtype of its
    inputs (float32 in, float32 out).
    """
    H, D = params["W_f"].shape[0], xs.shape[2]
    if params["W_f"].shape != (H, H + D):
        raise ValueError(f"xs has {D} features per step, so W_f must be ({H}, {H + D}), got "
                         f"{params['W_f'].shape}: does this layer read the right input?")
    hs = np.empty((len(xs),) + h0.shape, dtype=np.result_type(xs, h0, C0, params["W_f"]))  # (T, N, H)
    Cs = np.empty_like(hs)  # (T, N, H)
    steps, h_t, C_t = [], h0, C0
    for t in range(len(xs)):
        h_t, C_t, step = lstm_step_forward(xs[t], h_t, C_t, params)
        hs[t], Cs[t] = h_t, C_t
        steps.append(step)
    return hs, Cs, {"steps": steps, "xs_shape": xs.shape, "params": params}
