"""The stacked (multi-layer) LSTM: layer l reads the hidden states of layer l-1 as its input sequence.

    h^(0)_t = x_t,    h^(l)_t, C^(l)_t = LSTM_l(h^(l-1)_t, h^(l)_{t-1}, C^(l)_{t-1})   for l = 1 .. L

Layer 1's weights are (H, H + D), the layers above it (H, 2H). Initial and final states are (L, N, H),
stacked over layers as in torch. Each layer runs on the fast path of `rnnlib.fused`.
"""

import numpy as np

from ._checks import Shapes, check_shape
from .fused import lstm_layer_backward, lstm_layer_forward
from .lstm import check_lstm_params


def check_layers(layers, D=None):
    """Check a list of LSTM params dicts for a stack; returns {"L": ..., "H": ..., "D": ...}.

    Layer 0 reads x_t (D features); every layer above reads the hidden state below it (H features).
    """
    if not isinstance(layers, list | tuple) or not layers:
        raise ValueError(f"layers must be a non-empty list of LSTM params dicts, got {layers!r:.60}")
    first = Shapes() if D is None else Shapes(D=D)
    check_lstm_params(first, layers[0], name="layers[0]")
    H, D = first["H"], first["D"]
    for l in range(1, len(layers)):
        check_lstm_params(Shapes(H=H, D=H), layers[l], name=f"layers[{l}]")
    return {"L": len(layers), "H": H, "D": D}


def stacked_lstm_forward(xs, h0, C0, layers):
    """xs: (T, N, D); h0, C0: (L, N, H); layers: a list of L LSTM params dicts.

    Returns hs (T, N, H), the top layer's hidden states; h_n, C_n (L, N, H), every layer's last states;
    and the cache for stacked_lstm_backward.
    """
    dims = Shapes()
    dims.check("xs", xs, ("T", "N", "D"))
    dims.dims.update(check_layers(layers, D=dims["D"]))
    dims.check("h0", h0, ("L", "N", "H"))
    dims.check("C0", C0, ("L", "N", "H"))

    caches, h_n, C_n = [], np.empty_like(h0), np.empty_like(C0)
    inputs = xs
    for l, params in enumerate(layers):
        inputs, Cs, cache = lstm_layer_forward(inputs, h0[l], C0[l], params)
        h_n[l], C_n[l] = inputs[-1], Cs[-1]
        caches.append(cache)
    return inputs, h_n, C_n, {"layers": caches}


def stacked_lstm_backward(dhs, cache, dh_n=None, dC_n=None, need_dxs=True):
    """dhs: (T, N, H), the upstream gradient of the top layer's hidden states.

    dh_n, dC_n: optional (L, N, H) gradients of the final states. Returns dxs (T, N, D), dh0 and
    dC0 (L, N, H), and layer_grads, a list of dicts with the keys of each layer's params.
    need_dxs=False skips the gradient of the inputs (dxs is None): a model whose inputs are data needs none.
    """
    caches = cache["layers"]
    L = len(caches)
    T, N, H = caches[-1]["hs"].shape
    check_shape("dhs", dhs, (T, N, H), "(T, N, H)")
    if dh_n is not None:
        check_shape("dh_n", dh_n, (L, N, H), "(L, N, H)")
    if dC_n is not None:
        check_shape("dC_n", dC_n, (L, N, H), "(L, N, H)")
    dh0 = np.empty((L, N, H), dtype=dhs.dtype)
    dC0 = np.empty_like(dh0)
    layer_grads = [None] * L
    grad = dhs
    for l in reversed(range(L)):
        if dh_n is not None:
            grad = grad.copy()
            grad[-1] += dh_n[l]  # h_n[l] is the layer's last hidden state
        grad, dh0[l], dC0[l], layer_grads[l] = lstm_layer_backward(
            grad, caches[l], None if dC_n is None else dC_n[l], need_dxs=need_dxs or l > 0)
    return grad, dh0, dC0, layer_grads
