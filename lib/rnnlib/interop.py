"""Conversion between rnnlib's parameters and torch.nn.RNN / torch.nn.LSTM modules.

torch keeps separate input and hidden matrices and two biases, and orders the LSTM gates (i, f, g, o)
with g the candidate C~. rnnlib concatenates z_t = [h_{t-1}, x_t], so for each gate
    W_gate = [weight_hh_gate, weight_ih_gate]  (H, H + D)   and   b_gate = bias_ih_gate + bias_hh_gate.
Going back, the whole bias goes into bias_ih and bias_hh is zero: the sum, which is all that matters, is kept.
torch is imported inside the functions, so that rnnlib itself needs only numpy.
"""

import numpy as np

from ._checks import Shapes
from .rnn import check_rnn_params
from .stacked import check_layers

# torch's row blocks of weight_ih / weight_hh, in order, named as in this course.
TORCH_GATE_ORDER = ("i", "f", "C", "o")


def _array(tensor):
    return tensor.detach().cpu().numpy().copy()


def _torch_dtype(array):
    import torch

    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[array.dtype]


def _check_module(module, cls_name, **unsupported):
    import torch

    cls = getattr(torch.nn, cls_name)
    if not isinstance(module, cls):
        raise ValueError(f"module must be a torch.nn.{cls_name}, got {type(module).__name__}")
    for attr, allowed in unsupported.items():
        value = getattr(module, attr)
        if value != allowed:
            raise ValueError(f"module.{attr} is {value!r}; rnnlib supports only {attr}={allowed!r}")


def rnn_from_torch(module):
    """A single-layer tanh torch.nn.RNN -> params {"U": (H, D), "W": (H, H), "b": (H,)}."""
    _check_module(module, "RNN", num_layers=1, nonlinearity="tanh", bidirectional=False)
    b = _array(module.bias_ih_l0) + _array(module.bias_hh_l0) if module.bias else np.zeros(module.hidden_size)
    return {"U": _array(module.weight_ih_l0), "W": _array(module.weight_hh_l0), "b": b}


def rnn_to_torch(params):
    """params {"U", "W", "b"} -> a torch.nn.RNN of the same dtype computing the same recurrence."""
    import torch

    check_rnn_params(Shapes(), params)
    H, D = params["U"].shape
    module = torch.nn.RNN(D, H, dtype=_torch_dtype(params["U"]))
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(params["U"]))
        module.weight_hh_l0.copy_(torch.from_numpy(params["W"]))
        module.bias_ih_l0.copy_(torch.from_numpy(params["b"]))
        module.bias_hh_l0.zero_()
    return module


def lstm_from_torch(module):
    """A (multi-layer) torch.nn.LSTM -> layers, a list of LSTM params dicts, one per layer."""
    _check_module(module, "LSTM", bidirectional=False, proj_size=0)
    H = module.hidden_size
    layers = []
    for l in range(module.num_layers):
        w_ih, w_hh = _array(getattr(module, f"weight_ih_l{l}")), _array(getattr(module, f"weight_hh_l{l}"))
        if module.bias:
            b = _array(getattr(module, f"bias_ih_l{l}")) + _array(getattr(module, f"bias_hh_l{l}"))
        else:
            b = np.zeros(4 * H, dtype=w_ih.dtype)
        params = {}
        for k, g in enumerate(TORCH_GATE_ORDER):
            rows = slice(k * H, (k + 1) * H)
            params[f"W_{g}"] = np.concatenate([w_hh[rows], w_ih[rows]], axis=1)  # z_t = [h_{t-1}, x_t]
            params[f"b_{g}"] = b[rows]
        layers.append(params)
    return layers


def lstm_to_torch(layers):
    """layers (a list of LSTM params dicts) -> a torch.nn.LSTM with num_layers=len(layers), same dtype."""
    import torch

    dims = check_layers(layers)
    H, D = dims["H"], dims["D"]
    module = torch.nn.LSTM(D, H, num_layers=len(layers), dtype=_torch_dtype(layers[0]["W_f"]))
    with torch.no_grad():
        for l, params in enumerate(layers):
            W = np.concatenate([params[f"W_{g}"] for g in TORCH_GATE_ORDER])  # (4H, H + D_l)
            b = np.concatenate([params[f"b_{g}"] for g in TORCH_GATE_ORDER])
            getattr(module, f"weight_hh_l{l}").copy_(torch.from_numpy(np.ascontiguousarray(W[:, :H])))
            getattr(module, f"weight_ih_l{l}").copy_(torch.from_numpy(np.ascontiguousarray(W[:, H:])))
            getattr(module, f"bias_ih_l{l}").copy_(torch.from_numpy(b))
            getattr(module, f"bias_hh_l{l}").zero_()
    return module
