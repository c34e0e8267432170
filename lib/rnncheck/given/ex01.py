"""Exercise 1's forward pass of the RNN, given to exercise 2 (see rnncheck.given)."""

import numpy as np


def rnn_step_forward(x_t, s_prev, params):
    """s_t = tanh(x_t U^T + s_prev W^T + b): x_t (N, D), s_prev (N, H) -> s_t (N, H), cache."""
    s_t = np.tanh(x_t @ params["U"].T + s_prev @ params["W"].T + params["b"])  # (N, H)
    return s_t, {"x_t": x_t, "s_prev": s_prev, "s_t": s_t, "params": params}


def rnn_forward(xs, s0, params):
    """xs (T, N, D), s0 (N, H) -> ss (T, N, H), ss[t] the state after xs[t]; and the cache. Keeps the dtype of its
    inputs (float32 in, float32 out)."""
    T, N = xs.shape[:2]
    ss = np.zeros((T, N, s0.shape[1]), dtype=np.result_type(xs, s0, params["W"]))  # (T, N, H)
    steps, s_t = [], s0
    for t in range(T):
        s_t, step = rnn_step_forward(xs[t], s_t, params)
        ss[t] = s_t
        steps.append(step)
    return ss, {"steps": steps, "s0": s0, "params": params}
