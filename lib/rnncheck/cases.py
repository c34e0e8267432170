"""How each exercise function is exercised: inputs made from a seed and sizes, and the outputs recorded.

A case function takes a Generator, `fns` (the functions under test, by name) and sizes. It draws every
input first, then calls the functions and returns their results as named arrays. The same case code runs
with a student's functions in the student's kernel and with the reference functions in the grader, so
both see identical inputs; only the outputs are compared.
"""

from dataclasses import dataclass

import numpy as np

from . import properties

CASES = {}


class WrongResult(Exception):
    """What an exercise function returned cannot be used by its case; the message says why."""


@dataclass(frozen=True)
class Case:
    make: object  # make(rng, fns, **sizes) -> {name: array}
    needs: tuple  # the functions it calls, the one under test first
    judge: object = None  # judge(got, expected) -> message or None; None: outputs must equal the reference's
    resembles: object = None  # resembles(got, mistake) -> bool, for judged cases: does got look like a mistake's?
    # While it runs, every function of rnnlib raises (True), or only these ("rnnlib.module.function"): where
    # an exercise calls the library on purpose, only the library's own version of the exercise is barred.
    trap: object = True


def case(name, needs=(), function=None, **options):
    """Register a case function for the check `name` of the exercise function `function` (default: `name`);
    `needs` are other functions it calls; `options` are the other fields of Case."""
    def register(make):
        CASES[name] = Case(make, (function or name,) + tuple(needs), **options)
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


# ex06_char_lm ----------------------------------------------------------------------------------------------
# These cases call rnnlib on purpose (the model's forward pass, its gradients, the optimizers), as the
# notebook does: the functions under test are the sampling and the training step around them. They use only
# what a graded kernel of this exercise can import (rnngrade.kernel_view); the cases of the other exercises
# need no rnnlib, which their graded kernels cannot import.
def _softmax_rows(a):
    """The case's own softmax, so that what a sampler is judged against does not come from the student."""
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _ids(ids, shape, K, what):
    """ids as an int array of `shape` with values in 0..K-1, or WrongResult saying what is wrong."""
    ids = np.asarray(ids)
    if ids.shape != shape:
        raise WrongResult(f"returned {what} of shape {ids.shape}, expected {shape}")
    if ids.size and not (np.all(ids == np.round(ids)) and ids.min() >= 0 and ids.max() < K):
        raise WrongResult(f"returned {what} that are not all whole numbers from 0 to {K - 1}")
    return ids.astype(np.int64)


@case("sample_next", judge=properties.judge_draws, resembles=properties.resembles_draws)
def _sample_next(rng, fns, B, K, R, temperature, scale=2.0):
    """R draws from each of B distributions, in one call of N = B * R rows; then the same call again with a
    Generator in the same state. Outputs the counts per row and id, not the ids, to keep them small."""
    logits = _normal(rng, B, K, scale=scale)
    seed = int(rng.integers(2**32))
    # on purpose: a sampler that wrongly uses np.random's global state then fails the same way every run
    np.random.seed(seed)  # noqa: NPY002
    rows = np.repeat(logits, R, axis=0)
    ids = _ids(fns.sample_next(rows.copy(), temperature, np.random.default_rng(seed)), (B * R,), K, "ids")
    again = _ids(fns.sample_next(rows.copy(), temperature, np.random.default_rng(seed)), (B * R,), K, "ids")
    counts = np.stack([np.bincount(ids[b * R:(b + 1) * R], minlength=K) for b in range(B)])
    return {"counts": counts, "reproducible": float(np.array_equal(ids, again)),
            "probs": _softmax_rows(logits / temperature)}


def _char_model(rng, K, H, L):
    """A character model in rnnlib.charlm's layout, float64, with weights large enough to be far from uniform."""
    layers = [_lstm_params(rng, K if l == 0 else H, H) for l in range(L)]
    return {"layers": layers, "V": _normal(rng, K, H), "c": _normal(rng, K)}


def _flat(model):
    """Every parameter of a character model in one vector (layers bottom first, keys sorted; then V, c)."""
    parts = [layer[key].ravel() for layer in model["layers"] for key in sorted(layer)]
    return np.concatenate(parts + [model["V"].ravel(), model["c"].ravel()])


def _unflat(vector, K, H, L):
    """The model _flat came from, given its sizes."""
    model, at = {"layers": []}, 0

    def take(*shape):
        nonlocal at
        size = int(np.prod(shape))
        at += size
        return vector[at - size:at].reshape(shape)

    for l in range(L):
        D = K if l == 0 else H
        model["layers"].append({key: take(H, H + D) if key.startswith("W") else take(H)
                                for key in sorted(f"{w}_{g}" for w in "Wb" for g in "fiCo")})
    model["V"], model["c"] = take(K, H), take(K)
    return model


@case("generate", trap=("rnnlib.charlm.generate", "rnnlib.charlm.sample"))
def _generate(rng, fns, K, H, L, P, n, temperature):
    """generate with a sampler that records what it is given and draws by the inverse CDF from the rng it is
    given: the ids then depend on the model, the state and the feedback alone, and can be compared exactly."""
    model, prime = _char_model(rng, K, H, L), rng.integers(K, size=P)
    calls = []

    def recording_sampler(logits, temperature, rng):
        logits = np.asarray(logits, dtype=np.float64).reshape(-1, K)
        calls.append(np.append(logits[0], temperature))
        p = _softmax_rows(logits / temperature)
        return np.minimum(np.sum(np.cumsum(p, axis=1) <= rng.random((len(p), 1)), axis=1), K - 1)

    ids = fns.generate(model, prime.copy(), n, temperature, np.random.default_rng(int(rng.integers(2**32))),
                       recording_sampler)
    # sampler_calls: one row per call, the logits it was given and then the temperature
    return {"ids": _ids(ids, (n,), K, "ids"), "sampler_calls": np.array(calls).reshape(-1, K + 1)}


_TRAIN = ("rnnlib.charlm.train_step", "rnnlib.charlm.train")


@case("train_step", trap=_TRAIN)
def _train_step(rng, fns, K, H, L, N, T, max_norm):
    """One step with plain SGD, whose update is -lr times the gradients it gets: it shows whether they were
    clipped. The states come in non-zero, as from the window before."""
    from rnnlib.optim import SGD

    model = _char_model(rng, K, H, L)
    xs, ys = rng.integers(K, size=(2, T, N))
    h0, C0 = _normal(rng, L, N, H), _normal(rng, L, N, H)
    before = _flat(model)
    loss, h_n, C_n = fns.train_step(model, SGD(lr=0.1), xs, ys, h0.copy(), C0.copy(), max_norm)
    return {"loss": loss, "h_n": h_n, "C_n": C_n, "update": _flat(model) - before}


def _text_loss(model, text):
    from rnnlib.charlm import evaluate

    return evaluate(model, text, N=1, T=len(text) - 1)


def _judge_learning(got, expected):
    K, H, L = (int(v) for v in expected["sizes"])
    text = expected["text"].astype(np.int64)
    return properties.judge_learning(got, expected, lambda params: _text_loss(_unflat(params, K, H, L), text))


@case("train_step_learns", function="train_step", judge=_judge_learning, trap=_TRAIN)
def _train_step_learns(rng, fns, K, H, L, period, steps, N=2, T=8):
    """`steps` calls of train_step with Adam on a text that repeats a random pattern, the state carried from
    window to window as in rnnlib.charlm.train; the judge measures the trained model's loss itself."""
    from rnnlib.optim import Adam
    from rnnlib.text import tbptt_batches

    model = {"layers": [{k: 0.3 * v for k, v in p.items()} for p in _char_model(rng, K, H, L)["layers"]],
             "V": _normal(rng, K, H, scale=0.3), "c": np.zeros(K)}
    text = np.tile(rng.integers(K, size=period), 40)
    initial_loss = _text_loss(model, text)
    adam, losses = Adam(lr=0.05), []
    batches, h, C = tbptt_batches(text, N, T), np.zeros((L, N, H)), np.zeros((L, N, H))
    for _ in range(steps):
        xs, ys = next(batches, (None, None))
        if xs is None:  # the text is used up: start over, from a fresh state
            batches, h, C = tbptt_batches(text, N, T), np.zeros((L, N, H)), np.zeros((L, N, H))
            xs, ys = next(batches)
        loss, h, C = fns.train_step(model, adam, xs, ys, h, C, 5.0)
        losses.append(loss)
    return {"losses": np.array(losses, dtype=np.float64), "params": _flat(model), "text": text,
            "sizes": np.array([K, H, L]), "initial_loss": initial_loss, "final_loss": _text_loss(model, text)}
