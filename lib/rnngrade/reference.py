"""The reference implementation of every function an exercise asks for, by the exercise's name."""

import types

import numpy as np

from rnnlib import activations, charlm, gradcheck, interop, lstm, optim, output, rnn


def stacked_lstm_forward(xs, h0, C0, layers):
    """rnnlib.stacked's results, built layer by layer from rnnlib.lstm as the ex05 notebook does, so that
    the cache has the notebook's layout ({"layers": [one lstm_forward cache per layer]}) and the catalogued
    mistakes of stacked_lstm_backward run on it. tests/test_grading.py proves it equal to rnnlib.stacked."""
    caches, h_n, C_n, inputs = [], np.empty_like(h0), np.empty_like(C0), xs
    for l, params in enumerate(layers):
        inputs, Cs, cache = lstm.lstm_forward(inputs, h0[l], C0[l], params)
        h_n[l], C_n[l] = inputs[-1], Cs[-1]
        caches.append(cache)
    return inputs, h_n, C_n, {"layers": caches}


def stacked_lstm_backward(dhs, cache):
    """The backward of stacked_lstm_forward above: the gradient into layer l's outputs is layer l+1's dxs."""
    L = len(cache["layers"])
    dh0, dC0, layer_grads, grad = [None] * L, [None] * L, [None] * L, dhs
    for l in reversed(range(L)):
        grad, dh0[l], dC0[l], layer_grads[l] = lstm.lstm_backward(grad, cache["layers"][l])
    return grad, np.stack(dh0), np.stack(dC0), layer_grads


REFERENCE = types.SimpleNamespace(
    softmax=activations.softmax,
    rnn_step_forward=rnn.rnn_step_forward,
    rnn_forward=rnn.rnn_forward,
    softmax_output=output.softmax_output,
    rnn_step_backward=rnn.rnn_step_backward,
    rnn_backward=rnn.rnn_backward,
    numerical_gradient=gradcheck.numerical_gradient,
    clip_by_global_norm=optim.clip_by_global_norm,
    forget_gate=lstm.forget_gate,
    input_gate=lstm.input_gate,
    candidate_cell=lstm.candidate_cell,
    cell_update=lstm.cell_update,
    output_gate=lstm.output_gate,
    hidden_state=lstm.hidden_state,
    lstm_step_forward=lstm.lstm_step_forward,
    lstm_step_backward=lstm.lstm_step_backward,
    lstm_forward=lstm.lstm_forward,
    lstm_backward=lstm.lstm_backward,
    stacked_lstm_forward=stacked_lstm_forward,
    stacked_lstm_backward=stacked_lstm_backward,
    lstm_from_torch=interop.lstm_from_torch,
    sample_next=charlm.sample_next,
    generate=charlm.generate,
    train_step=charlm.train_step,
)
