"""rnnbook.memory_task ("remember the first symbol") and the trained LSTM the course ships with it."""

import importlib.resources

import numpy as np
import pytest

from rnnbook import memory_task
from rnnlib import gradcheck, init

SHIPPED = importlib.resources.files("rnnbook") / "data" / "memory_task_lstm.npz"


def test_make_batch_targets_are_the_first_symbols():
    xs, ys = memory_task.make_batch(np.random.default_rng(0), 7, T=5, K=3)
    assert xs.shape == (5, 7, 3) and ys.shape == (7,)
    assert np.array_equal(xs.sum(axis=2), np.ones((5, 7)))  # one-hot
    assert np.array_equal(xs[0].argmax(axis=1), ys)


def test_shipped_lstm_solves_the_task_on_fresh_sequences():
    model, info = memory_task.load_lstm(SHIPPED)
    assert info["forget_bias"] == 3.0 and info["steps"] == memory_task.STEPS
    xs, ys = memory_task.make_batch(np.random.default_rng(20240607), 2000)  # not the chapter's test set
    _, accuracy, grads = memory_task.lstm_loss_and_grads(model, xs, ys, need_grads=False)
    assert grads is None
    assert accuracy > 0.95


def test_save_and_load_give_back_the_model(tmp_path):
    rng = np.random.default_rng(1)
    model = [[init.lstm_params(3, 2, rng)], init.output_params(2, 3, rng)]
    memory_task.save_lstm(tmp_path / "m.npz", model, seed=4, forget_bias=1.5)
    (params,), head = model
    (loaded,), loaded_head = memory_task.load_lstm(tmp_path / "m.npz")[0]
    assert loaded.keys() == params.keys() and loaded_head.keys() == head.keys()
    assert all(np.array_equal(loaded[k], params[k]) for k in params)
    assert all(np.array_equal(loaded_head[k], head[k]) for k in head)
    assert memory_task.load_lstm(tmp_path / "m.npz")[1] == {"seed": 4, "forget_bias": 1.5}


def _tiny(kind):
    """A tiny model (K = 3, H = 2), its loss function and a batch of 5 sequences of length 4."""
    rng = np.random.default_rng(7)
    K, H = 3, 2
    if kind == "rnn":
        model, fn = [init.rnn_params(K, H, rng), init.output_params(H, K, rng)], memory_task.rnn_loss_and_grads
    else:
        layers = [init.lstm_params(K, H, rng, forget_bias=1.0)]
        model, fn = [layers, init.output_params(H, K, rng)], memory_task.lstm_loss_and_grads
    xs, ys = memory_task.make_batch(rng, 5, T=4, K=K)
    return model, fn, xs, ys


def test_loss_is_the_cross_entropy_of_the_last_step():
    model, fn, xs, ys = _tiny("lstm")
    h = np.zeros((5, 2))
    C = np.zeros((5, 2))
    p = model[0][0]
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    for x in xs:  # the LSTM written out, independently of rnnlib
        z = np.concatenate([h, x], axis=1)
        f, i, o = (sig(z @ p[f"W_{g}"].T + p[f"b_{g}"]) for g in "fio")
        C = f * C + i * np.tanh(z @ p["W_C"].T + p["b_C"])
        h = o * np.tanh(C)
    logits = h @ model[1]["V"].T + model[1]["c"]
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    loss, accuracy, _ = fn(model, xs, ys)
    assert loss == pytest.approx(-log_p[np.arange(5), ys].mean(), rel=1e-12)
    assert accuracy == np.mean(logits.argmax(axis=1) == ys)


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_gradients_match_a_numerical_gradient(kind):
    model, fn, xs, ys = _tiny(kind)
    _, _, grads = fn(model, xs, ys)
    for part in (0, 1):  # recurrent parameters, then the output head
        params = model[0][0] if kind == "lstm" and part == 0 else model[part]
        analytic = grads[0][0] if kind == "lstm" and part == 0 else grads[part]
        assert analytic.keys() == params.keys()
        for k, value in params.items():
            def loss(v, k=k, value=value, params=params):
                params[k] = v
                try:
                    return fn(model, xs, ys)[0]
                finally:
                    params[k] = value
            numeric = gradcheck.numerical_gradient(loss, value)
            assert gradcheck.rel_error(analytic[k], numeric) < 1e-7, k
