"""Bad input raises ValueError naming the argument, the shape it got and the shape it expected."""

import re

import numpy as np
import pytest
import torch
from conftest import random_lstm_params, random_rnn_params, random_stacked_params

from rnnlib.fused import lstm_layer_backward, lstm_layer_forward
from rnnlib.interop import lstm_to_torch, rnn_to_torch
from rnnlib.lstm import (
    candidate_cell,
    cell_update,
    forget_gate,
    hidden_state,
    input_gate,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    output_gate,
)
from rnnlib.output import output_backward, output_forward, softmax_cross_entropy
from rnnlib.rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward
from rnnlib.stacked import stacked_lstm_backward, stacked_lstm_forward

N, T, D, H, K, L = 3, 2, 4, 5, 6, 3
_rng = np.random.default_rng(7)


def z(*shape):
    """A random float64 array of the given shape."""
    return _rng.standard_normal(shape)


def with_(params, **changes):
    """A copy of a params dict with some entries replaced (or removed, for None)."""
    out = dict(params)
    for k, v in changes.items():
        if v is None:
            del out[k]
        else:
            out[k] = v
    return out


RNN = random_rnn_params(_rng, D, H)
LSTM = random_lstm_params(_rng, D, H)
LAYERS = random_stacked_params(_rng, D, H, L)


def rnn_cache():
    return rnn_forward(z(T, N, D), z(N, H), RNN)[1]


def rnn_step_cache():
    return rnn_step_forward(z(N, D), z(N, H), RNN)[1]


def lstm_cache():
    return lstm_forward(z(T, N, D), z(N, H), z(N, H), LSTM)[2]


def lstm_step_cache():
    return lstm_step_forward(z(N, D), z(N, H), z(N, H), LSTM)[2]


def fused_cache():
    return lstm_layer_forward(z(T, N, D), z(N, H), z(N, H), LSTM)[2]


def stacked_cache():
    return stacked_lstm_forward(z(T, N, D), z(L, N, H), z(L, N, H), LAYERS)[3]


def output_cache():
    return output_forward(z(T, N, H), z(K, H), z(K), )[1]


def layers_with(layer, **changes):
    return [with_(p, **changes) if i == layer else p for i, p in enumerate(LAYERS)]


def ys_of(*shape):
    return _rng.integers(0, K, size=shape)


# Each case: a call, then one or more acceptable (argument name, shape got, shape expected).
# Several are given only where the blame can fairly fall on either of two arguments.
SHAPE_CASES = {
    # ---- RNN, one step
    "rnn_step/s_prev_H": (lambda: rnn_step_forward(z(N, D), z(N, 7), RNN), [("s_prev", "(3, 7)", "(3, 5)")]),
    "rnn_step/s_prev_broadcastable": (
        lambda: rnn_step_forward(z(N, D), z(1, H), RNN), [("s_prev", "(1, 5)", "(3, 5)")]),
    "rnn_step/s_prev_N": (
        lambda: rnn_step_forward(z(N, D), z(2, H), RNN),
        [("s_prev", "(2, 5)", "(3, 5)"), ("x_t", "(3, 4)", "(2, 4)")]),
    "rnn_step/W": (lambda: rnn_step_forward(z(N, D), z(N, H), with_(RNN, W=z(5, 6))), [("W", "(5, 6)", "(5, 5)")]),
    "rnn_step/b": (lambda: rnn_step_forward(z(N, D), z(N, H), with_(RNN, b=z(6))), [("b", "(6,)", "(5,)")]),
    "rnn_step/b_broadcastable": (
        lambda: rnn_step_forward(z(N, D), z(N, H), with_(RNN, b=z(1))), [("b", "(1,)", "(5,)")]),
    "rnn_step/U_vs_x": (
        lambda: rnn_step_forward(z(N, D), z(N, H), with_(RNN, U=z(5, 3))),
        [("U", "(5, 3)", "(5, 4)"), ("x_t", "(3, 4)", "(3, 3)")]),
    "rnn_step_backward/ds_t": (lambda: rnn_step_backward(z(N, 6), rnn_step_cache()), [("ds_t", "(3, 6)", "(3, 5)")]),
    # ---- RNN, sequence
    "rnn/s0": (lambda: rnn_forward(z(T, N, D), z(N, 7), RNN), [("s0", "(3, 7)", "(3, 5)")]),
    "rnn/xs_2d": (lambda: rnn_forward(z(N, D), z(N, H), RNN), [("xs", "(3, 4)", None)]),
    "rnn/W": (lambda: rnn_forward(z(T, N, D), z(N, H), with_(RNN, W=z(4, 5))), [("W", "(4, 5)", "(5, 5)")]),
    "rnn_backward/dss": (lambda: rnn_backward(z(T, N, 6), rnn_cache()), [("dss", "(2, 3, 6)", "(2, 3, 5)")]),
    "rnn_backward/dss_T": (lambda: rnn_backward(z(3, N, H), rnn_cache()), [("dss", "(3, 3, 5)", "(2, 3, 5)")]),
    # ---- LSTM gates
    # Only x_t and W_f carry D here, so either may be blamed.
    "forget_gate/W_f_cols": (
        lambda: forget_gate(z(N, H), z(N, D), z(5, 8), z(5)),
        [("W_f", "(5, 8)", "(5, 9)"), ("x_t", "(3, 4)", "(3, 3)")]),
    "input_gate/b_i": (lambda: input_gate(z(N, H), z(N, D), z(5, 9), z(4)), [("b_i", "(4,)", "(5,)")]),
    "candidate_cell/h_prev_N": (
        lambda: candidate_cell(z(2, H), z(N, D), z(5, 9), z(5)),
        [("h_prev", "(2, 5)", "(3, 5)"), ("x_t", "(3, 4)", "(2, 4)")]),
    "candidate_cell/W_C_cols": (
        lambda: candidate_cell(z(N, H), z(N, D), z(5, 10), z(5)),
        [("W_C", "(5, 10)", "(5, 9)"), ("x_t", "(3, 4)", "(3, 5)")]),
    # h_prev, b_o and the width of W_o all say H = 5: W_o's 6 rows are the odd one out.
    "output_gate/W_o_rows": (lambda: output_gate(z(N, H), z(N, D), z(6, 9), z(5)), [("W_o", "(6, 9)", "(5, 9)")]),
    "cell_update/C_prev": (
        lambda: cell_update(z(N, H), z(N, 6), z(N, H), z(N, H)), [("C_prev", "(3, 6)", "(3, 5)")]),
    "cell_update/C_tilde_t": (
        lambda: cell_update(z(N, H), z(N, H), z(N, H), z(1, H)), [("C_tilde_t", "(1, 5)", "(3, 5)")]),
    "hidden_state/C_t": (lambda: hidden_state(z(N, H), z(N, 4)), [("C_t", "(3, 4)", "(3, 5)")]),
    # ---- LSTM, one step and sequence
    "lstm_step/C_prev": (
        lambda: lstm_step_forward(z(N, D), z(N, H), z(N, 7), LSTM), [("C_prev", "(3, 7)", "(3, 5)")]),
    "lstm_step/W_i": (
        lambda: lstm_step_forward(z(N, D), z(N, H), z(N, H), with_(LSTM, W_i=z(5, 8))),
        [("W_i", "(5, 8)", "(5, 9)")]),
    "lstm_step/b_o": (
        lambda: lstm_step_forward(z(N, D), z(N, H), z(N, H), with_(LSTM, b_o=z(1))), [("b_o", "(1,)", "(5,)")]),
    "lstm_step_backward/dh_t": (
        lambda: lstm_step_backward(z(N, 6), z(N, H), lstm_step_cache()), [("dh_t", "(3, 6)", "(3, 5)")]),
    "lstm_step_backward/dC_t": (
        lambda: lstm_step_backward(z(N, H), z(2, H), lstm_step_cache()), [("dC_t", "(2, 5)", "(3, 5)")]),
    "lstm/h0": (lambda: lstm_forward(z(T, N, D), z(N, 6), z(N, H), LSTM), [("h0", "(3, 6)", "(3, 5)")]),
    "lstm/C0": (lambda: lstm_forward(z(T, N, D), z(N, H), z(4, H), LSTM), [("C0", "(4, 5)", "(3, 5)")]),
    "lstm/xs_2d": (lambda: lstm_forward(z(N, D), z(N, H), z(N, H), LSTM), [("xs", "(3, 4)", None)]),
    "lstm/W_f": (
        lambda: lstm_forward(z(T, N, D), z(N, H), z(N, H), with_(LSTM, W_f=z(5, 5))), [("W_f", "(5, 5)", "(5, 9)")]),
    "lstm_backward/dhs": (lambda: lstm_backward(z(3, N, H), lstm_cache()), [("dhs", "(3, 3, 5)", "(2, 3, 5)")]),
    "lstm_backward/dC_n": (
        lambda: lstm_backward(z(T, N, H), lstm_cache(), z(N, 6)), [("dC_n", "(3, 6)", "(3, 5)")]),
    # ---- fused LSTM
    "fused/C0": (lambda: lstm_layer_forward(z(T, N, D), z(N, H), z(N, 6), LSTM), [("C0", "(3, 6)", "(3, 5)")]),
    "fused/W_o": (
        lambda: lstm_layer_forward(z(T, N, D), z(N, H), z(N, H), with_(LSTM, W_o=z(5, 10))),
        [("W_o", "(5, 10)", "(5, 9)")]),
    "fused_backward/dhs": (
        lambda: lstm_layer_backward(z(T, N, 6), fused_cache()), [("dhs", "(2, 3, 6)", "(2, 3, 5)")]),
    "fused_backward/dC_n": (
        lambda: lstm_layer_backward(z(T, N, H), fused_cache(), z(1, H)), [("dC_n", "(1, 5)", "(3, 5)")]),
    # ---- stacked LSTM
    "stacked/h0_L": (
        lambda: stacked_lstm_forward(z(T, N, D), z(2, N, H), z(L, N, H), LAYERS), [("h0", "(2, 3, 5)", "(3, 3, 5)")]),
    "stacked/h0_2d": (
        lambda: stacked_lstm_forward(z(T, N, D), z(N, H), z(L, N, H), LAYERS), [("h0", "(3, 5)", "(3, 3, 5)")]),
    "stacked/C0": (
        lambda: stacked_lstm_forward(z(T, N, D), z(L, N, H), z(L, N, 4), LAYERS), [("C0", "(3, 3, 4)", "(3, 3, 5)")]),
    "stacked/layer0_W_f": (
        lambda: stacked_lstm_forward(z(T, N, D), z(L, N, H), z(L, N, H), layers_with(0, W_f=z(5, 10))),
        [("W_f", "(5, 10)", "(5, 9)")]),
    "stacked/layer1_W_f": (
        lambda: stacked_lstm_forward(z(T, N, D), z(L, N, H), z(L, N, H), layers_with(1, W_f=z(5, 9))),
        [("W_f", "(5, 9)", "(5, 10)")]),
    "stacked/layer2_b_C": (
        lambda: stacked_lstm_forward(z(T, N, D), z(L, N, H), z(L, N, H), layers_with(2, b_C=z(4))),
        [("b_C", "(4,)", "(5,)")]),
    "stacked_backward/dhs": (
        lambda: stacked_lstm_backward(z(T, N, 4), stacked_cache()), [("dhs", "(2, 3, 4)", "(2, 3, 5)")]),
    "stacked_backward/dh_n": (
        lambda: stacked_lstm_backward(z(T, N, H), stacked_cache(), z(2, N, H)), [("dh_n", "(2, 3, 5)", "(3, 3, 5)")]),
    "stacked_backward/dC_n": (
        lambda: stacked_lstm_backward(z(T, N, H), stacked_cache(), None, z(L, N, 6)),
        [("dC_n", "(3, 3, 6)", "(3, 3, 5)")]),
    # ---- output layer and loss
    "output/c": (lambda: output_forward(z(T, N, H), z(K, H), z(3)), [("c", "(3,)", "(6,)")]),
    "output/V_vs_ss": (
        lambda: output_forward(z(T, N, H), z(K, 4), z(K)),
        [("V", "(6, 4)", "(6, 5)"), ("ss", "(2, 3, 5)", "(2, 3, 4)")]),
    "output_backward/dlogits": (
        lambda: output_backward(z(T, N, 7), output_cache()), [("dlogits", "(2, 3, 7)", "(2, 3, 6)")]),
    "cross_entropy/ys": (
        lambda: softmax_cross_entropy(z(T, N, K), ys_of(2, 4)), [("ys", "(2, 4)", "(2, 3)")]),
    "cross_entropy/logits_2d": (
        lambda: softmax_cross_entropy(z(N, K), ys_of(T, N)), [("logits", "(3, 6)", None)]),
    # ---- interop
    "rnn_to_torch/W": (lambda: rnn_to_torch(with_(RNN, W=z(5, 6))), [("W", "(5, 6)", "(5, 5)")]),
    "lstm_to_torch/layer1_W_f": (
        lambda: lstm_to_torch(layers_with(1, W_f=z(5, 9))), [("W_f", "(5, 9)", "(5, 10)")]),
    "lstm_to_torch/layer0_b_i": (lambda: lstm_to_torch(layers_with(0, b_i=z(6))), [("b_i", "(6,)", "(5,)")]),
}


def names(alternatives):
    return "|".join(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])" for name, _, _ in alternatives)


@pytest.mark.parametrize("case", sorted(SHAPE_CASES))
def test_shape_error_names_argument_and_shapes(case):
    call, alternatives = SHAPE_CASES[case]
    with pytest.raises(ValueError, match=names(alternatives)) as info:
        call()
    message = str(info.value)
    ok = []
    for name, got, expected in alternatives:
        named = re.search(names([(name, None, None)]), message) is not None
        ok.append(named and got in message and (expected is None or expected in message))
    assert any(ok), f"message {message!r} does not name one of {alternatives}"


MISSING_KEY_CASES = {
    "rnn_step/W": (lambda: rnn_step_forward(z(N, D), z(N, H), with_(RNN, W=None)), "W"),
    "rnn/b": (lambda: rnn_forward(z(T, N, D), z(N, H), with_(RNN, b=None)), "b"),
    "rnn/U": (lambda: rnn_forward(z(T, N, D), z(N, H), with_(RNN, U=None)), "U"),
    "lstm_step/b_o": (lambda: lstm_step_forward(z(N, D), z(N, H), z(N, H), with_(LSTM, b_o=None)), "b_o"),
    "lstm/W_C": (lambda: lstm_forward(z(T, N, D), z(N, H), z(N, H), with_(LSTM, W_C=None)), "W_C"),
    "fused/W_f": (lambda: lstm_layer_forward(z(T, N, D), z(N, H), z(N, H), with_(LSTM, W_f=None)), "W_f"),
    "stacked/layer1_W_i": (
        lambda: stacked_lstm_forward(z(T, N, D), z(L, N, H), z(L, N, H), layers_with(1, W_i=None)), "W_i"),
    "rnn_to_torch/U": (lambda: rnn_to_torch(with_(RNN, U=None)), "U"),
    "lstm_to_torch/b_f": (lambda: lstm_to_torch(layers_with(2, b_f=None)), "b_f"),
}


@pytest.mark.parametrize("case", sorted(MISSING_KEY_CASES))
def test_missing_key_names_the_key(case):
    call, key = MISSING_KEY_CASES[case]
    with pytest.raises(ValueError, match=rf"(?<![A-Za-z0-9_]){re.escape(key)}(?![A-Za-z0-9_])"):
        call()


def with_nan(shape):
    xs = z(*shape)
    xs[-1, 0, 1] = np.nan
    return xs


NAN_CASES = {
    "rnn_forward": lambda: rnn_forward(with_nan((T, N, D)), z(N, H), RNN),
    "lstm_forward": lambda: lstm_forward(with_nan((T, N, D)), z(N, H), z(N, H), LSTM),
    "lstm_layer_forward": lambda: lstm_layer_forward(with_nan((T, N, D)), z(N, H), z(N, H), LSTM),
    "stacked_lstm_forward": lambda: stacked_lstm_forward(with_nan((T, N, D)), z(L, N, H), z(L, N, H), LAYERS),
}


@pytest.mark.parametrize("case", sorted(NAN_CASES))
def test_nan_in_xs_raises(case):
    with pytest.raises(ValueError, match="NaN") as info:
        NAN_CASES[case]()
    assert "xs" in str(info.value)


def test_valid_inputs_do_not_raise():
    """The fixtures above are valid: each error case differs from a working call by one argument."""
    rnn_step_forward(z(N, D), z(N, H), RNN)
    rnn_backward(z(T, N, H), rnn_cache())
    lstm_step_backward(z(N, H), z(N, H), lstm_step_cache())
    lstm_backward(z(T, N, H), lstm_cache(), z(N, H))
    lstm_layer_backward(z(T, N, H), fused_cache(), z(N, H))
    stacked_lstm_backward(z(T, N, H), stacked_cache(), z(L, N, H), z(L, N, H))
    output_backward(z(T, N, K), output_cache())
    softmax_cross_entropy(z(T, N, K), ys_of(T, N))
    for gate in (forget_gate, input_gate, candidate_cell, output_gate):
        gate(z(N, H), z(N, D), z(H, H + D), z(H))
    cell_update(z(N, H), z(N, H), z(N, H), z(N, H))
    hidden_state(z(N, H), z(N, H))
    assert isinstance(rnn_to_torch(RNN), torch.nn.RNN)
    assert isinstance(lstm_to_torch(LAYERS), torch.nn.LSTM)
