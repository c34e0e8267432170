"""Exercise 5, the stacked LSTM: its forward and backward passes, and a loader for torch.nn.LSTM.

The mistakes are the code a student might write in the notebook, where `lstm_forward` and `lstm_backward` are
the notebook's single-layer LSTM and the stacked cache is {"layers": [one lstm_forward cache per layer]}. The
grader's references build their stacked cache in that same layout from rnnlib.lstm, whose lstm_backward is the
`lstm_backward` these sources call there.
"""

from ..draw import lstm_params, named, normal
from ..exercise import Exercise, WrongResult, variant

EXERCISE = Exercise("ex05_stacked")

# {l}: the layer; {above}: the layer above it
_LAYER = "lstm_backward of layer {l}, given dhs if it is the top layer, else the dxs of layer {above}"
EXERCISE.grade("stacked_lstm_forward", points=3)
EXERCISE.grade("stacked_lstm_backward", points=4, callees=("lstm_backward", "lstm_step_backward"), flow=(
    *[(f"layer{{l}}_d{w}_{g}", _LAYER) for g in "fiCo" for w in "Wb"],
    ("dh0", "the δh_0 that lstm_backward of each layer l returns, as dh0[l]"),
    ("dC0", "the δC_0 that lstm_backward of each layer l returns, as dC0[l]"),
    ("dxs", "the dxs that lstm_backward of layer 0 returns (the bottom layer, called last)"),
))
EXERCISE.grade("lstm_from_torch", points=3)


def _stacked_inputs(rng, T, N, D, H, L, dtype):
    layers = [lstm_params(rng, D if l == 0 else H, H, dtype) for l in range(L)]
    return normal(rng, T, N, D, dtype=dtype), normal(rng, L, N, H, dtype=dtype), normal(rng, L, N, H, dtype=dtype), \
        layers


@EXERCISE.case("stacked_lstm_forward")
def _stacked_lstm_forward(rng, fns, T, N, D, H, L, dtype="float64"):
    hs, h_n, C_n, cache = fns.stacked_lstm_forward(*_stacked_inputs(rng, T, N, D, H, L, dtype))
    if not (isinstance(cache, dict) and set(cache) == {"layers"} and len(cache["layers"]) == L):
        raise WrongResult(f"returned a cache that is not {{'layers': [the lstm_forward cache of each of the {L} "
                          "layers]}")
    return {"hs": hs, "h_n": h_n, "C_n": C_n}


@EXERCISE.case("stacked_lstm_backward", needs=("stacked_lstm_forward",))
def _stacked_lstm_backward(rng, fns, T, N, D, H, L, dtype="float64"):
    inputs = _stacked_inputs(rng, T, N, D, H, L, dtype)
    dhs = normal(rng, T, N, H, dtype=dtype)
    _, _, _, cache = fns.stacked_lstm_forward(*inputs)
    dxs, dh0, dC0, layer_grads = fns.stacked_lstm_backward(dhs, cache)
    out = {"dxs": dxs, "dh0": dh0, "dC0": dC0}
    for l, grads in enumerate(layer_grads):
        out.update(named(f"layer{l}_d", grads))
    return out


@EXERCISE.case("lstm_from_torch")
def _lstm_from_torch(rng, fns, D, H, L, dtype="float64"):
    import torch

    torch.manual_seed(int(rng.integers(2**31)))
    module = torch.nn.LSTM(D, H, num_layers=L, dtype=getattr(torch, dtype))
    out = {}
    for l, params in enumerate(fns.lstm_from_torch(module)):
        out.update({f"layer{l}_{k}": v for k, v in params.items()})
    return out


# --- grader only: references and mistakes (a graded kernel sees this module cut here) ---
def stacked_lstm_forward(xs, h0, C0, layers):
    """rnnlib.stacked's results, built layer by layer from rnnlib.lstm as the notebook does, so that the cache has
    the notebook's layout ({"layers": [one lstm_forward cache per layer]}) and the catalogued mistakes of
    stacked_lstm_backward run on it. tests/test_grading.py proves it equal to rnnlib.stacked."""
    import numpy as np

    from rnnlib import lstm

    caches, h_n, C_n, inputs = [], np.empty_like(h0), np.empty_like(C0), xs
    for l, params in enumerate(layers):
        inputs, Cs, cache = lstm.lstm_forward(inputs, h0[l], C0[l], params)
        h_n[l], C_n[l] = inputs[-1], Cs[-1]
        caches.append(cache)
    return inputs, h_n, C_n, {"layers": caches}


def stacked_lstm_backward(dhs, cache):
    """The backward of stacked_lstm_forward above: the gradient into layer l's outputs is layer l+1's dxs."""
    import numpy as np

    from rnnlib import lstm

    L = len(cache["layers"])
    dh0, dC0, layer_grads, grad = [None] * L, [None] * L, [None] * L, dhs
    for l in reversed(range(L)):
        grad, dh0[l], dC0[l], layer_grads[l] = lstm.lstm_backward(grad, cache["layers"][l])
    return grad, np.stack(dh0), np.stack(dC0), layer_grads


EXERCISE.reference("stacked_lstm_forward", stacked_lstm_forward)
EXERCISE.reference("stacked_lstm_backward", stacked_lstm_backward)
EXERCISE.reference("lstm_from_torch", "rnnlib.interop.lstm_from_torch")

# Forward ---------------------------------------------------------------------------------------------------
_FORWARD = '''
def stacked_lstm_forward(xs, h0, C0, layers):
    h_n, C_n = {alloc}
    caches, inputs = [], xs
    for l, params in enumerate(layers):
        hs, Cs, layer_cache = lstm_forward({input}, h0[{state}], C0[{state}], params)
        h_n[l], C_n[l] = hs[{last}], Cs[{last}]
        caches.append(layer_cache)
        inputs = {next_input}
    return hs, h_n, C_n, {{"layers": caches}}
'''
_forward = variant(_FORWARD, {"alloc": "np.empty_like(h0), np.empty_like(C0)", "input": "inputs", "state": "l",
                              "last": "-1", "next_input": "hs"})

EXERCISE.mistake("stacked_lstm_forward",
                 "layer l reads the hidden states of layer l - 1, not xs: only layer 0 reads xs",
                 _forward(input="xs"))
EXERCISE.mistake("stacked_lstm_forward",
                 "each layer starts from its own initial states: h0[l] and C0[l], not h0[0] and C0[0]",
                 _forward(state="0"))
EXERCISE.mistake("stacked_lstm_forward",
                 "h_n[l] and C_n[l] are layer l's LAST states, hs[-1] and Cs[-1], not those of the first step",
                 _forward(last="0"))
EXERCISE.mistake("stacked_lstm_forward",
                 "the next layer reads this layer's hidden states hs, not its cell states Cs",
                 _forward(next_input="Cs"))
EXERCISE.mistake("stacked_lstm_forward",
                 "h_n and C_n are float64 although the inputs are float32: np.zeros(h0.shape) makes float64 "
                 "whatever the inputs; np.empty_like(h0) keeps their dtype",
                 _forward(alloc="np.zeros(h0.shape), np.zeros(C0.shape)"))

# Backward --------------------------------------------------------------------------------------------------
_BACKWARD = '''
def stacked_lstm_backward(dhs, cache):
    caches = cache["layers"]
    L = len(caches)
    dh0 = {alloc}
    dC0 = np.empty_like(dh0)
    layer_grads = [None] * L
    grad = dhs
    for l in {order}:
        dxs, dh0[l], dC0[l], layer_grads[l] = lstm_backward({upstream}, caches[l])
        grad = dxs
    return dxs, dh0, dC0, layer_grads
'''
_COLLECTED_TOP_FIRST = '''
def stacked_lstm_backward(dhs, cache):
    grad, dh0, dC0, layer_grads = dhs, [], [], []
    for layer_cache in reversed(cache["layers"]):
        grad, dh0_l, dC0_l, grads = lstm_backward(grad, layer_cache)
        dh0.append(dh0_l)
        dC0.append(dC0_l)
        layer_grads.append(grads)
    return grad, np.stack(dh0), np.stack(dC0), layer_grads
'''
_backward = variant(_BACKWARD, {"alloc": "np.empty((L,) + dhs.shape[1:], dtype=dhs.dtype)",
                                "order": "reversed(range(L))", "upstream": "grad"})

EXERCISE.mistake("stacked_lstm_backward",
                 "a lower layer's gradient is the dxs that the layer above returned, not dhs: only the top layer "
                 "receives dhs",
                 _backward(upstream="dhs"))
EXERCISE.mistake("stacked_lstm_backward",
                 "only the top layer's hidden states reach the loss: a lower layer receives the dxs of the layer "
                 "above alone, without dhs added",
                 _backward(upstream="grad if l == L - 1 else grad + dhs"))
EXERCISE.mistake("stacked_lstm_backward",
                 "go through the layers top to bottom, reversed(range(L)): the gradient enters at the top layer",
                 _backward(order="range(L)"))
EXERCISE.mistake("stacked_lstm_backward",
                 "dh0[l], dC0[l] and layer_grads[l] belong to layer l: the backward loop visits the top layer "
                 "first, so results collected in loop order are upside down",
                 _COLLECTED_TOP_FIRST)
EXERCISE.mistake("stacked_lstm_backward",
                 "dh0 and dC0 are float64 although the inputs are float32: np.empty((L, N, H)) makes float64 "
                 "whatever the inputs; give it their dtype, dtype=dhs.dtype",
                 _backward(alloc="np.empty((L,) + dhs.shape[1:])"))

# Loading torch.nn.LSTM -------------------------------------------------------------------------------------
_FROM_TORCH = '''
def lstm_from_torch(module):
    H = module.hidden_size
    layers = []
    for l in range(module.num_layers):
        w_ih = getattr(module, f"weight_ih_l{{l}}").detach().numpy()
        w_hh = getattr(module, f"weight_hh_l{{l}}").detach().numpy()
        b = ({bias}).detach().numpy()
        params = {{}}
        for k, g in enumerate({order}):
            rows = slice(k * H, (k + 1) * H)
            params[f"W_{{g}}"] = np.concatenate([{columns}], axis=1)
            params[f"b_{{g}}"] = b[rows]
        layers.append(params)
    return layers
'''
_from_torch = variant(_FROM_TORCH, {"bias": 'getattr(module, f"bias_ih_l{l}") + getattr(module, f"bias_hh_l{l}")',
                                    "order": '("i", "f", "C", "o")', "columns": "w_hh[rows], w_ih[rows]"})

EXERCISE.mistake("lstm_from_torch",
                 "torch orders the gate blocks (i, f, g, o): the input gate comes first, then the forget gate",
                 _from_torch(order='("f", "i", "C", "o")'))
EXERCISE.mistake("lstm_from_torch", "torch's third block is g, the candidate C~ (W_C); the output gate is the fourth",
                 _from_torch(order='("i", "f", "o", "C")'))
EXERCISE.mistake("lstm_from_torch",
                 "the course's gates read [h_prev, x_t], h first: put the weight_hh block before the weight_ih block",
                 _from_torch(columns="w_ih[rows], w_hh[rows]"))
EXERCISE.mistake("lstm_from_torch", "torch adds two biases: b = bias_ih + bias_hh (bias_hh is missing)",
                 _from_torch(bias='getattr(module, f"bias_ih_l{l}")'))
