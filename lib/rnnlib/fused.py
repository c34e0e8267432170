"""A fast LSTM layer: the same equations as `rnnlib.lstm`, arranged for speed.

What makes it fast, and why each step is still the textbook LSTM:
- the four gate weight matrices are stacked into one (4H, H + D) matrix, so one matrix product per step
  computes all four pre-activations;
- the input part x_t W_x^T of every time step is one large product before the loop; only h_{t-1} W_h^T
  is left inside it;
- sigma(a) = (1 + tanh(a / 2)) / 2, so halving the sigmoid gates' weights once (exact in floating point)
  lets one tanh call activate all four gates;
- every buffer is allocated once per call, and backward precomputes, for all steps at once, every factor
  that does not depend on the gradient flowing back in time.
tests/test_lstm.py proves it equal to the gate-by-gate reference (test_fused_*).
"""

import numpy as np

from ._checks import check_shape
from .lstm import check_lstm_sequence

# Column blocks of the stacked matrix: the three sigmoid gates first, so one slice covers them.
ORDER = ("f", "i", "o", "C")


def stack_weights(params):
    """W = [W_f; W_i; W_o; W_C] of shape (4H, H + D) and b likewise (4H,)."""
    W = np.concatenate([params[f"W_{g}"] for g in ORDER])
    b = np.concatenate([params[f"b_{g}"] for g in ORDER])
    return W, b


def split_grads(dW, db):
    """The inverse of stack_weights for gradients: a dict with the keys of params."""
    H = dW.shape[0] // 4
    grads = {}
    for k, g in enumerate(ORDER):
        grads[f"W_{g}"] = dW[k * H:(k + 1) * H]
        grads[f"b_{g}"] = db[k * H:(k + 1) * H]
    return grads


def lstm_layer_forward(xs, h0, C0, params):
    """Same as rnnlib.lstm.lstm_forward: xs (T, N, D), h0 and C0 (N, H) -> hs, Cs (T, N, H), cache."""
    H = check_lstm_sequence(xs, h0, C0, params)["H"]
    T, N, D = xs.shape
    dtype = np.result_type(xs, h0, C0, params["W_f"])

    W, b = stack_weights(params)
    W, b = W.astype(dtype, copy=False), b.astype(dtype, copy=False)
    scale = np.ones(4 * H, dtype=dtype)
    scale[:3 * H] = 0.5  # sigma(a) = (1 + tanh(a / 2)) / 2
    W_h_T = np.ascontiguousarray((W[:, :H] * scale[:, None]).T)  # (H, 4H)
    W_x_T = np.ascontiguousarray((W[:, H:] * scale[:, None]).T)  # (D, 4H)

    gates = (xs.reshape(T * N, D) @ W_x_T + b * scale).reshape(T, N, 4 * H)  # (T, N, 4H)
    hs = np.empty((T, N, H), dtype=dtype)
    Cs = np.empty((T, N, H), dtype=dtype)
    tanh_Cs = np.empty((T, N, H), dtype=dtype)
    iC = np.empty((N, H), dtype=dtype)  # scratch for i_t * C~_t
    h_prev, C_prev = h0, C0
    for t in range(T):
        a = gates[t]
        a += h_prev @ W_h_T
        np.tanh(a, out=a)
        sig = a[:, :3 * H]
        sig *= 0.5
        sig += 0.5
        f, i, o, C_tilde = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        np.multiply(f, C_prev, out=Cs[t])
        np.multiply(i, C_tilde, out=iC)
        Cs[t] += iC
        np.tanh(Cs[t], out=tanh_Cs[t])
        np.multiply(o, tanh_Cs[t], out=hs[t])
        h_prev, C_prev = hs[t], Cs[t]
    cache = {"xs": xs, "h0": h0, "C0": C0, "W": W, "gates": gates, "hs": hs, "Cs": Cs, "tanh_Cs": tanh_Cs}
    return hs, Cs, cache


def lstm_layer_backward(dhs, cache, dC_n=None, need_dxs=True):
    """Same as rnnlib.lstm.lstm_backward: dhs (T, N, H), dC_n (N, H) or None -> dxs, dh0, dC0, grads.

    need_dxs=False: dxs is None, not computed."""
    xs, W, gates, hs, Cs, tanh_Cs = (cache[k] for k in ("xs", "W", "gates", "hs", "Cs", "tanh_Cs"))
    T, N, D = xs.shape
    H = hs.shape[2]
    check_shape("dhs", dhs, hs.shape, "(T, N, H)")
    dC = np.zeros((N, H), dtype=hs.dtype) if dC_n is None else check_shape("dC_n", dC_n, (N, H), "(N, H)")
    f, i, o, C_tilde = (gates[:, :, k * H:(k + 1) * H] for k in range(4))
    C_prevs = np.concatenate([cache["C0"][None], Cs[:-1]])  # (T, N, H)
    h_prevs = np.concatenate([cache["h0"][None], hs[:-1]])  # (T, N, H)

    # Every factor that does not depend on the gradient flowing back in time, for all steps at once:
    # da_f = dC * C_{t-1} f(1-f),  da_i = dC * C~ i(1-i),  da_o = dh * tanh(C_t) o(1-o),  da_C = dC * i(1-C~^2)
    P = np.empty_like(gates)  # (T, N, 4H)
    P[:, :, :H] = C_prevs * f * (1 - f)
    P[:, :, H:2 * H] = C_tilde * i * (1 - i)
    P[:, :, 2 * H:3 * H] = tanh_Cs * o * (1 - o)
    P[:, :, 3 * H:] = i * (1 - C_tilde**2)
    dC_from_h = o * (1 - tanh_Cs**2)  # (T, N, H): dC_t/dh_t through h_t = o_t tanh(C_t)

    W_h = np.ascontiguousarray(W[:, :H])  # (4H, H)
    da = np.empty_like(gates)  # (T, N, 4H)
    dh_next = np.zeros((N, H), dtype=hs.dtype)
    for t in reversed(range(T)):
        dh = dhs[t] + dh_next
        dC = dC + dh * dC_from_h[t]
        da_t, P_t = da[t], P[t]
        np.multiply(dC, P_t[:, :H], out=da_t[:, :H])
        np.multiply(dC, P_t[:, H:2 * H], out=da_t[:, H:2 * H])
        np.multiply(dh, P_t[:, 2 * H:3 * H], out=da_t[:, 2 * H:3 * H])
        np.multiply(dC, P_t[:, 3 * H:], out=da_t[:, 3 * H:])
        dC = dC * f[t]
        dh_next = da_t @ W_h

    # The weights are shared over time: their gradients are single products over all steps.
    da2 = da.reshape(T * N, 4 * H)
    dW = np.concatenate([da2.T @ h_prevs.reshape(T * N, H), da2.T @ xs.reshape(T * N, D)], axis=1)
    dxs = (da2 @ W[:, H:]).reshape(T, N, D) if need_dxs else None
    return dxs, dh_next, dC, split_grads(dW, da2.sum(axis=0))
