"""Mistakes in ex05_stacked: the stacked forward and backward passes and the loader for torch.nn.LSTM.

The sources are the code a student might write in the notebook, where `lstm_forward` and `lstm_backward` are
the notebook's single-layer LSTM and the stacked cache is {"layers": [one lstm_forward cache per layer]}.
The grader's reference (rnngrade.reference) builds its stacked cache in that same layout from rnnlib.lstm,
whose lstm_backward is the `lstm_backward` these sources call there.
"""

from . import mistake, variant

# Forward ---------------------------------------------------------------------------------------------------
_FORWARD = '''
def stacked_lstm_forward(xs, h0, C0, layers):
    h_n, C_n = np.empty_like(h0), np.empty_like(C0)
    caches, inputs = [], xs
    for l, params in enumerate(layers):
        hs, Cs, layer_cache = lstm_forward({input}, h0[{state}], C0[{state}], params)
        h_n[l], C_n[l] = hs[{last}], Cs[{last}]
        caches.append(layer_cache)
        inputs = {next_input}
    return hs, h_n, C_n, {{"layers": caches}}
'''
_FORWARD_RIGHT = {"input": "inputs", "state": "l", "last": "-1", "next_input": "hs"}

_forward = variant(_FORWARD, _FORWARD_RIGHT)

mistake("stacked_lstm_forward",
        "layer l reads the hidden states of layer l - 1, not xs: only layer 0 reads xs",
        _forward(input="xs"))
mistake("stacked_lstm_forward",
        "each layer starts from its own initial states: h0[l] and C0[l], not h0[0] and C0[0]",
        _forward(state="0"))
mistake("stacked_lstm_forward",
        "h_n[l] and C_n[l] are layer l's LAST states, hs[-1] and Cs[-1], not those of the first step",
        _forward(last="0"))
mistake("stacked_lstm_forward",
        "the next layer reads this layer's hidden states hs, not its cell states Cs",
        _forward(next_input="Cs"))

# Backward --------------------------------------------------------------------------------------------------
_BACKWARD = '''
def stacked_lstm_backward(dhs, cache):
    caches = cache["layers"]
    L = len(caches)
    dh0 = np.empty((L,) + dhs.shape[1:])
    dC0 = np.empty_like(dh0)
    layer_grads = [None] * L
    grad = dhs
    for l in {order}:
        dxs, dh0[l], dC0[l], layer_grads[l] = lstm_backward({upstream}, caches[l])
        grad = dxs
    return dxs, dh0, dC0, layer_grads
'''
_BACKWARD_RIGHT = {"order": "reversed(range(L))", "upstream": "grad"}
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

_backward = variant(_BACKWARD, _BACKWARD_RIGHT)

mistake("stacked_lstm_backward",
        "a lower layer's gradient is the dxs that the layer above returned, not dhs: only the top layer "
        "receives dhs",
        _backward(upstream="dhs"))
mistake("stacked_lstm_backward",
        "only the top layer's hidden states reach the loss: a lower layer receives the dxs of the layer "
        "above alone, without dhs added",
        _backward(upstream="grad if l == L - 1 else grad + dhs"))
mistake("stacked_lstm_backward",
        "go through the layers top to bottom, reversed(range(L)): the gradient enters at the top layer",
        _backward(order="range(L)"))
mistake("stacked_lstm_backward",
        "dh0[l], dC0[l] and layer_grads[l] belong to layer l: the backward loop visits the top layer "
        "first, so results collected in loop order are upside down",
        _COLLECTED_TOP_FIRST)

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
_FROM_TORCH_RIGHT = {"bias": 'getattr(module, f"bias_ih_l{l}") + getattr(module, f"bias_hh_l{l}")',
           "order": '("i", "f", "C", "o")', "columns": "w_hh[rows], w_ih[rows]"}

_from_torch = variant(_FROM_TORCH, _FROM_TORCH_RIGHT)

mistake("lstm_from_torch",
        "torch orders the gate blocks (i, f, g, o): the input gate comes first, then the forget gate",
        _from_torch(order='("f", "i", "C", "o")'))
mistake("lstm_from_torch", "torch's third block is g, the candidate C~ (W_C); the output gate is the fourth",
        _from_torch(order='("i", "f", "o", "C")'))
mistake("lstm_from_torch",
        "the course's gates read [h_prev, x_t], h first: put the weight_hh block before the weight_ih block",
        _from_torch(columns="w_ih[rows], w_hh[rows]"))
mistake("lstm_from_torch", "torch adds two biases: b = bias_ih + bias_hh (bias_hh is missing)",
        _from_torch(bias='getattr(module, f"bias_ih_l{l}")'))
