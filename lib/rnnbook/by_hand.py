"""Computations that chapters write out by hand to compare with the library.

They live here, not in the chapters' cells, because each is the answer to an exercise: the chapters show them
through ``show_source``, which in the student edition shows only their signature and docstring.
"""

import numpy as np

from rnnlib import lstm


def _sigma(a):
    return 1 / (1 + np.exp(-a))


def lstm_step_by_hand(x_t, h_prev, C_prev, p):
    """One LSTM step in plain numpy, the six equations in order (no shape checks, no cache).

    x_t: (N, D); h_prev, C_prev: (N, H); p: the LSTM params. Returns {"f_t", "i_t", "C_tilde_t", "C_t", "o_t",
    "h_t"}, each (N, H).
    """
    z_t = np.concatenate([h_prev, x_t], axis=1)  # (N, H + D): [h_{t-1}, x_t]
    f_t = _sigma(z_t @ p["W_f"].T + p["b_f"])  # forget gate
    i_t = _sigma(z_t @ p["W_i"].T + p["b_i"])  # input gate
    C_tilde_t = np.tanh(z_t @ p["W_C"].T + p["b_C"])  # candidate
    C_t = f_t * C_prev + i_t * C_tilde_t  # cell update
    o_t = _sigma(z_t @ p["W_o"].T + p["b_o"])  # output gate
    h_t = o_t * np.tanh(C_t)  # hidden state
    return {"f_t": f_t, "i_t": i_t, "C_tilde_t": C_tilde_t, "C_t": C_t, "o_t": o_t, "h_t": h_t}


def layers_chained(xs, h0, C0, layers, dhs):
    """A stack of single LSTM layers (`lstm.lstm_forward`, `lstm.lstm_backward`), chained by hand.

    xs: (T, N, D); h0, C0: (L, N, H); dhs: (T, N, H), the gradient of the top layer's hidden states.
    Returns hs (T, N, H), h_n, C_n (L, N, H), and dxs (T, N, D), dh0, dC0 (L, N, H), layer_grads.
    """
    inputs, caches = xs, []
    h_n, C_n = np.empty_like(h0), np.empty_like(C0)  # (L, N, H)
    for l, params in enumerate(layers):  # forward, bottom to top
        inputs, Cs_l, cache_l = lstm.lstm_forward(inputs, h0[l], C0[l], params)
        h_n[l], C_n[l] = inputs[-1], Cs_l[-1]
        caches.append(cache_l)
    grad, dh0, dC0 = dhs, np.empty_like(h0), np.empty_like(C0)
    layer_grads = [None] * len(layers)
    for l in reversed(range(len(layers))):  # backward, top to bottom: dxs of layer l is dhs of layer l - 1
        grad, dh0[l], dC0[l], layer_grads[l] = lstm.lstm_backward(grad, caches[l])
    return inputs, h_n, C_n, grad, dh0, dC0, layer_grads
