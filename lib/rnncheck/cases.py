"""How each exercise function is exercised: inputs made from a seed and sizes, and the outputs recorded.

A case function takes a Generator, `fns` (the functions under test, by name) and sizes. It draws every
input first, then calls the functions and returns their results as named arrays. The same case code runs
with a student's functions in the student's kernel and with the reference functions in the grader, so
both see identical inputs; only the outputs are compared.
"""

import numpy as np

CASES = {}


def case(name, needs=()):
    """Register a case function for the exercise function `name`; `needs` are other functions it calls."""
    def register(make):
        CASES[name] = (make, (name,) + tuple(needs))
        return make
    return register


def _normal(rng, *shape, scale=1.0):
    return scale * rng.standard_normal(shape)


def _rnn_params(rng, D, H):
    return {"U": _normal(rng, H, D, scale=0.5), "W": _normal(rng, H, H, scale=0.5), "b": _normal(rng, H, scale=0.5)}


def _lstm_params(rng, D, H):
    params = {f"W_{g}": _normal(rng, H, H + D, scale=0.5) for g in "fiCo"}
    params.update({f"b_{g}": _normal(rng, H, scale=0.5) for g in "fiCo"})
    return params


def _named(prefix, grads):
    """{"dU": ...} from a grads dict {"U": ...}."""
    return {f"{prefix}{k}": v for k, v in grads.items()}


# ex01_recurrence -----------------------------------------------------------------------------------------
@case("softmax")
def _softmax(rng, fns, N, K, scale=3.0):
    x = _normal(rng, N, K, scale=scale)
    return {"probs": fns.softmax(x)}


@case("rnn_step_forward")
def _rnn_step_forward(rng, fns, N, D, H):
    x_t, s_prev, params = _normal(rng, N, D), _normal(rng, N, H), _rnn_params(rng, D, H)
    s_t, _ = fns.rnn_step_forward(x_t, s_prev, params)
    return {"s_t": s_t}


@case("rnn_forward")
def _rnn_forward(rng, fns, T, N, D, H):
    xs, s0, params = _normal(rng, T, N, D), _normal(rng, N, H), _rnn_params(rng, D, H)
    ss, _ = fns.rnn_forward(xs, s0, params)
    return {"ss": ss}


@case("softmax_output")
def _softmax_output(rng, fns, T, N, H, K):
    ss, V, c = np.tanh(_normal(rng, T, N, H)), _normal(rng, K, H), _normal(rng, K)
    return {"os": fns.softmax_output(ss, V, c)}


# ex02_bptt ---------------------------------------------------------------------------------------------
@case("rnn_step_backward", needs=("rnn_step_forward",))
def _rnn_step_backward(rng, fns, N, D, H):
    x_t, s_prev, params = _normal(rng, N, D), _normal(rng, N, H), _rnn_params(rng, D, H)
    ds_t = _normal(rng, N, H)
    _, cache = fns.rnn_step_forward(x_t, s_prev, params)
    dx_t, ds_prev, grads = fns.rnn_step_backward(ds_t, cache)
    return {"dx_t": dx_t, "ds_prev": ds_prev, **_named("d", grads)}


@case("rnn_backward", needs=("rnn_forward",))
def _rnn_backward(rng, fns, T, N, D, H):
    xs, s0, params = _normal(rng, T, N, D), _normal(rng, N, H), _rnn_params(rng, D, H)
    dss = _normal(rng, T, N, H)
    _, cache = fns.rnn_forward(xs, s0, params)
    dxs, ds0, grads = fns.rnn_backward(dss, cache)
    return {"dxs": dxs, "ds0": ds0, **_named("d", grads)}


@case("numerical_gradient")
def _numerical_gradient(rng, fns, M, K, eps=None):
    """eps=None calls with the default eps; a larger eps (1e-3) tells a central difference from a one-sided
    one. x_after is x after both calls: numerical_gradient must leave it as it was."""
    A, x, df = _normal(rng, M, K), _normal(rng, 3, M), _normal(rng, 3, K)
    step = {} if eps is None else {"eps": eps}

    def f(x):  # an array-valued function whose gradient has a closed form
        return np.tanh(x @ A)

    grad = fns.numerical_gradient(f, x, df, **step)
    grad_scalar = fns.numerical_gradient(lambda x: np.sum(x**3), x, **step)
    return {"grad": grad, "grad_scalar": grad_scalar, "x_after": x.copy()}


@case("clip_by_global_norm")
def _clip_by_global_norm(rng, fns, H, scale):
    grads = {"U": _normal(rng, H, 2, scale=scale), "W": _normal(rng, H, H, scale=scale),
             "b": _normal(rng, H, scale=scale)}
    clipped, norm = fns.clip_by_global_norm(grads, 5.0)  # scale 0.2: norm below 5, left alone; scale 3: clipped
    # input_*: the gradients passed in, after the call: clipping returns new arrays and leaves these alone
    return {"norm": np.asarray(norm, dtype=float), **_named("clipped_", clipped), **_named("input_", grads)}


# ex03_gates ------------------------------------------------------------------------------------------------
def _gate_inputs(rng, N, D, H):
    return _normal(rng, N, H), _normal(rng, N, D), _normal(rng, H, H + D), _normal(rng, H)


@case("forget_gate")
def _forget_gate(rng, fns, N, D, H):
    return {"f_t": fns.forget_gate(*_gate_inputs(rng, N, D, H))}


@case("input_gate")
def _input_gate(rng, fns, N, D, H):
    return {"i_t": fns.input_gate(*_gate_inputs(rng, N, D, H))}


@case("candidate_cell")
def _candidate_cell(rng, fns, N, D, H):
    return {"C_tilde_t": fns.candidate_cell(*_gate_inputs(rng, N, D, H))}


@case("output_gate")
def _output_gate(rng, fns, N, D, H):
    return {"o_t": fns.output_gate(*_gate_inputs(rng, N, D, H))}


@case("cell_update")
def _cell_update(rng, fns, N, H):
    sig = 1 / (1 + np.exp(-_normal(rng, 2, N, H)))
    f_t, i_t = sig[0], sig[1]
    C_prev, C_tilde_t = _normal(rng, N, H), np.tanh(_normal(rng, N, H))
    return {"C_t": fns.cell_update(f_t, C_prev, i_t, C_tilde_t)}


@case("hidden_state")
def _hidden_state(rng, fns, N, H):
    o_t, C_t = 1 / (1 + np.exp(-_normal(rng, N, H))), _normal(rng, N, H, scale=2.0)
    return {"h_t": fns.hidden_state(o_t, C_t)}


@case("lstm_step_forward")
def _lstm_step_forward(rng, fns, N, D, H):
    x_t, h_prev, C_prev, params = _normal(rng, N, D), _normal(rng, N, H), _normal(rng, N, H), _lstm_params(rng, D, H)
    h_t, C_t, _ = fns.lstm_step_forward(x_t, h_prev, C_prev, params)
    return {"h_t": h_t, "C_t": C_t}


# ex04_lstm_backprop ----------------------------------------------------------------------------------------
@case("lstm_step_backward", needs=("lstm_step_forward",))
def _lstm_step_backward(rng, fns, N, D, H):
    x_t, h_prev, C_prev, params = _normal(rng, N, D), _normal(rng, N, H), _normal(rng, N, H), _lstm_params(rng, D, H)
    dh_t, dC_t = _normal(rng, N, H), _normal(rng, N, H)
    _, _, cache = fns.lstm_step_forward(x_t, h_prev, C_prev, params)
    dx_t, dh_prev, dC_prev, grads = fns.lstm_step_backward(dh_t, dC_t, cache)
    return {"dx_t": dx_t, "dh_prev": dh_prev, "dC_prev": dC_prev, **_named("d", grads)}


@case("lstm_backward", needs=("lstm_forward",))
def _lstm_backward(rng, fns, T, N, D, H):
    xs, h0, C0, params = _normal(rng, T, N, D), _normal(rng, N, H), _normal(rng, N, H), _lstm_params(rng, D, H)
    dhs = _normal(rng, T, N, H)
    _, _, cache = fns.lstm_forward(xs, h0, C0, params)
    dxs, dh0, dC0, grads = fns.lstm_backward(dhs, cache)
    return {"dxs": dxs, "dh0": dh0, "dC0": dC0, **_named("d", grads)}


# ex05_stacked ----------------------------------------------------------------------------------------------
def _stacked_inputs(rng, T, N, D, H, L):
    layers = [_lstm_params(rng, D if l == 0 else H, H) for l in range(L)]
    return _normal(rng, T, N, D), _normal(rng, L, N, H), _normal(rng, L, N, H), layers


@case("stacked_lstm_forward")
def _stacked_lstm_forward(rng, fns, T, N, D, H, L):
    hs, h_n, C_n, _ = fns.stacked_lstm_forward(*_stacked_inputs(rng, T, N, D, H, L))
    return {"hs": hs, "h_n": h_n, "C_n": C_n}


@case("stacked_lstm_backward", needs=("stacked_lstm_forward",))
def _stacked_lstm_backward(rng, fns, T, N, D, H, L):
    inputs = _stacked_inputs(rng, T, N, D, H, L)
    dhs = _normal(rng, T, N, H)
    _, _, _, cache = fns.stacked_lstm_forward(*inputs)
    dxs, dh0, dC0, layer_grads = fns.stacked_lstm_backward(dhs, cache)
    out = {"dxs": dxs, "dh0": dh0, "dC0": dC0}
    for l, grads in enumerate(layer_grads):
        out.update(_named(f"layer{l}_d", grads))
    return out


@case("lstm_from_torch")
def _lstm_from_torch(rng, fns, D, H, L):
    import torch

    torch.manual_seed(int(rng.integers(2**31)))
    module = torch.nn.LSTM(D, H, num_layers=L, dtype=torch.float64)
    out = {}
    for l, params in enumerate(fns.lstm_from_torch(module)):
        out.update({f"layer{l}_{k}": v for k, v in params.items()})
    return out
