"""rnnlib.output: the output layer logits = ss @ V.T + c and softmax cross-entropy."""

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import (
    LSTM_KEYS,
    assert_grad_close,
    finite_difference,
    random_rnn_params,
    random_stacked_params,
)

from rnnlib.output import output_backward, output_forward, softmax_cross_entropy
from rnnlib.rnn import rnn_backward, rnn_forward
from rnnlib.stacked import stacked_lstm_backward, stacked_lstm_forward

# (T, N, H, K), all different, plus T = 1 and N = 1.
SIZES = [(4, 3, 5, 6), (1, 2, 3, 4), (3, 1, 2, 5), (1, 1, 4, 3)]


def random_output(rng, H, K, dtype=np.float64):
    V = rng.standard_normal((K, H)).astype(dtype)  # (K, H)
    c = rng.standard_normal(K).astype(dtype)  # (K,)
    return V, c


# ---------------------------------------------------------------- output layer


def test_output_forward_hand_values():
    ss = np.array([[[1.0, -2.0]]])  # (1, 1, 2)
    V = np.array([[1.0, 0.0], [0.5, 1.0], [-1.0, 2.0]])  # (3, 2)
    c = np.array([0.1, 0.0, -0.5])  # (3,)
    logits, _ = output_forward(ss, V, c)
    # [1*1 + 0*(-2) + 0.1, 0.5*1 + 1*(-2) + 0, -1*1 + 2*(-2) - 0.5]
    np.testing.assert_allclose(logits, [[[1.1, -1.5, -5.5]]], rtol=1e-15)


def test_output_backward_hand_values():
    ss = np.array([[[1.0, -2.0]]])
    V = np.array([[1.0, 0.0], [0.5, 1.0], [-1.0, 2.0]])
    c = np.array([0.1, 0.0, -0.5])
    _, cache = output_forward(ss, V, c)
    dss, grads = output_backward(np.array([[[1.0, 0.0, 2.0]]]), cache)
    np.testing.assert_allclose(dss, [[[1.0 - 2.0, 0.0 + 4.0]]], rtol=1e-15)
    np.testing.assert_allclose(grads["V"], [[1.0, -2.0], [0.0, 0.0], [2.0, -4.0]], rtol=1e-15)
    np.testing.assert_allclose(grads["c"], [1.0, 0.0, 2.0], rtol=1e-15)
    assert set(grads) == {"V", "c"}


@pytest.mark.parametrize(("T", "N", "H", "K"), SIZES)
def test_output_shapes_and_values(rng, T, N, H, K):
    ss = rng.standard_normal((T, N, H))
    V, c = random_output(rng, H, K)
    logits, cache = output_forward(ss, V, c)
    assert logits.shape == (T, N, K)
    expected = np.einsum("tnh,kh->tnk", ss, V) + c
    np.testing.assert_allclose(logits, expected, rtol=1e-13, atol=1e-14)
    dss, grads = output_backward(rng.standard_normal((T, N, K)), cache)
    assert dss.shape == (T, N, H)
    assert grads["V"].shape == (K, H) and grads["c"].shape == (K,)


@pytest.mark.parametrize(("T", "N", "H", "K"), SIZES)
def test_output_backward_numerical(rng, T, N, H, K):
    ss = rng.standard_normal((T, N, H))
    V, c = random_output(rng, H, K)
    dlogits = rng.standard_normal((T, N, K))

    def loss():
        return np.sum(output_forward(ss, V, c)[0] * dlogits)

    _, cache = output_forward(ss, V, c)
    dss, grads = output_backward(dlogits, cache)
    assert_grad_close(dss, finite_difference(loss, ss), name="ss")
    assert_grad_close(grads["V"], finite_difference(loss, V), name="V")
    assert_grad_close(grads["c"], finite_difference(loss, c), name="c")


# ---------------------------------------------------------------- cross-entropy


def test_cross_entropy_hand_values():
    logits = np.array([[[0.0, math.log(3.0)]]])  # softmax = [1/4, 3/4]
    loss, dlogits = softmax_cross_entropy(logits, np.array([[1]]))
    assert float(loss) == pytest.approx(-math.log(0.75), rel=1e-14)
    np.testing.assert_allclose(dlogits, [[[0.25, -0.25]]], rtol=1e-14)
    loss, dlogits = softmax_cross_entropy(logits, np.array([[0]]))
    assert float(loss) == pytest.approx(math.log(4.0), rel=1e-14)
    np.testing.assert_allclose(dlogits, [[[-0.75, 0.75]]], rtol=1e-14)


def test_cross_entropy_reductions_hand_values():
    # T = 2, N = 2, K = 2; per-item losses are ln 2 (uniform logits) or -ln(3/4).
    logits = np.array([[[0.0, 0.0], [0.0, math.log(3.0)]], [[0.0, math.log(3.0)], [5.0, 5.0]]])
    ys = np.array([[0, 1], [1, 1]])
    total = math.log(2.0) - math.log(0.75) - math.log(0.75) + math.log(2.0)
    loss_mean, d_mean = softmax_cross_entropy(logits, ys)
    loss_mean2, _ = softmax_cross_entropy(logits, ys, time_reduction="mean")
    loss_sum, d_sum = softmax_cross_entropy(logits, ys, time_reduction="sum")
    assert float(loss_mean) == pytest.approx(total / 4, rel=1e-14)  # mean over N and over T
    assert float(loss_mean2) == float(loss_mean)
    assert float(loss_sum) == pytest.approx(total / 2, rel=1e-14)  # mean over N, sum over T
    np.testing.assert_allclose(d_sum, 2.0 * d_mean, rtol=1e-14)
    np.testing.assert_allclose(d_mean[0, 0], [-0.5 / 4, 0.5 / 4], rtol=1e-14)  # (p - onehot) / (T N)


@pytest.mark.parametrize("time_reduction", ["mean", "sum"])
@pytest.mark.parametrize(("T", "N", "H", "K"), SIZES)
def test_cross_entropy_matches_torch(rng, time_reduction, T, N, H, K):
    logits = 3.0 * rng.standard_normal((T, N, K))
    ys = rng.integers(0, K, size=(T, N))
    loss, dlogits = softmax_cross_entropy(logits, ys, time_reduction=time_reduction)
    assert dlogits.shape == (T, N, K)

    lt = torch.from_numpy(logits.copy()).requires_grad_()
    yt = torch.from_numpy(ys.astype(np.int64))
    if time_reduction == "mean":
        ref = F.cross_entropy(lt.reshape(T * N, K), yt.reshape(T * N))
    else:
        ref = F.cross_entropy(lt.reshape(T * N, K), yt.reshape(T * N), reduction="sum") / N
    ref.backward()
    assert float(loss) == pytest.approx(ref.item(), rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(dlogits, lt.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("time_reduction", ["mean", "sum"])
@pytest.mark.parametrize(("T", "N", "K"), [(3, 2, 4), (1, 1, 3), (2, 3, 2)])
def test_cross_entropy_numerical(rng, time_reduction, T, N, K):
    logits = rng.standard_normal((T, N, K))
    ys = rng.integers(0, K, size=(T, N))
    _, dlogits = softmax_cross_entropy(logits, ys, time_reduction=time_reduction)

    def loss():
        return float(softmax_cross_entropy(logits, ys, time_reduction=time_reduction)[0])

    assert_grad_close(dlogits, finite_difference(loss, logits), name="logits")


@pytest.mark.parametrize("bad", ["max", "none", "Mean", "", None])
def test_cross_entropy_rejects_unknown_reduction(rng, bad):
    logits = rng.standard_normal((2, 3, 4))
    ys = rng.integers(0, 4, size=(2, 3))
    with pytest.raises(ValueError):
        softmax_cross_entropy(logits, ys, time_reduction=bad)


def test_cross_entropy_stable_for_huge_logits():
    logits = np.array([[[1000.0, -1000.0], [-1000.0, 1000.0]]])  # (1, 2, 2)
    ys = np.array([[0, 0]])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        loss, dlogits = softmax_cross_entropy(logits, ys)
    assert np.isfinite(loss) and np.all(np.isfinite(dlogits))
    # item 0 is certain and right (loss 0), item 1 is certain and wrong (loss 2000).
    assert float(loss) == pytest.approx(1000.0, rel=1e-12)
    np.testing.assert_allclose(dlogits, [[[0.0, 0.0], [-0.5, 0.5]]], atol=1e-12)


# ---------------------------------------------------------------- whole models


def test_rnn_language_model_chain_numerical(rng):
    """xs -> RNN -> output layer -> cross-entropy, gradients of every parameter."""
    N, T, D, H, K = 2, 3, 3, 4, 5
    params = random_rnn_params(rng, D, H)
    V, c = random_output(rng, H, K)
    xs = rng.standard_normal((T, N, D))
    s0 = rng.standard_normal((N, H))
    ys = rng.integers(0, K, size=(T, N))

    def loss():
        ss, _ = rnn_forward(xs, s0, params)
        logits, _ = output_forward(ss, V, c)
        return float(softmax_cross_entropy(logits, ys)[0])

    ss, rnn_cache = rnn_forward(xs, s0, params)
    logits, out_cache = output_forward(ss, V, c)
    _, dlogits = softmax_cross_entropy(logits, ys)
    dss, out_grads = output_backward(dlogits, out_cache)
    dxs, ds0, grads = rnn_backward(dss, rnn_cache)
    assert_grad_close(out_grads["V"], finite_difference(loss, V), name="V")
    assert_grad_close(out_grads["c"], finite_difference(loss, c), name="c")
    assert_grad_close(dxs, finite_difference(loss, xs), name="xs")
    assert_grad_close(ds0, finite_difference(loss, s0), name="s0")
    for k in ("U", "W", "b"):
        assert_grad_close(grads[k], finite_difference(loss, params[k]), name=k)


def test_stacked_lstm_language_model_chain_numerical(rng):
    N, T, D, H, K, L = 2, 3, 2, 3, 4, 2
    layers = random_stacked_params(rng, D, H, L)
    V, c = random_output(rng, H, K)
    xs = rng.standard_normal((T, N, D))
    h0 = rng.standard_normal((L, N, H))
    C0 = rng.standard_normal((L, N, H))
    ys = rng.integers(0, K, size=(T, N))

    def loss():
        hs, _, _, _ = stacked_lstm_forward(xs, h0, C0, layers)
        logits, _ = output_forward(hs, V, c)
        return float(softmax_cross_entropy(logits, ys, time_reduction="sum")[0])

    hs, _, _, cache = stacked_lstm_forward(xs, h0, C0, layers)
    logits, out_cache = output_forward(hs, V, c)
    _, dlogits = softmax_cross_entropy(logits, ys, time_reduction="sum")
    dhs, out_grads = output_backward(dlogits, out_cache)
    dxs, dh0, dC0, layer_grads = stacked_lstm_backward(dhs, cache)
    assert_grad_close(out_grads["V"], finite_difference(loss, V), name="V")
    assert_grad_close(out_grads["c"], finite_difference(loss, c), name="c")
    assert_grad_close(dxs, finite_difference(loss, xs), name="xs")
    assert_grad_close(dh0, finite_difference(loss, h0), name="h0")
    assert_grad_close(dC0, finite_difference(loss, C0), name="C0")
    for layer in range(L):
        for k in LSTM_KEYS:
            assert_grad_close(layer_grads[layer][k], finite_difference(loss, layers[layer][k]),
                              name=f"layer {layer} {k}")


def test_rnn_language_model_matches_torch(rng):
    N, T, D, H, K = 3, 4, 2, 5, 6
    params = random_rnn_params(rng, D, H)
    V, c = random_output(rng, H, K)
    xs = rng.standard_normal((T, N, D))
    s0 = rng.standard_normal((N, H))
    ys = rng.integers(0, K, size=(T, N))

    ss, rnn_cache = rnn_forward(xs, s0, params)
    logits, out_cache = output_forward(ss, V, c)
    loss, dlogits = softmax_cross_entropy(logits, ys)
    dss, out_grads = output_backward(dlogits, out_cache)
    dxs, _, grads = rnn_backward(dss, rnn_cache)

    U_t = torch.from_numpy(params["U"].copy()).requires_grad_()
    W_t = torch.from_numpy(params["W"].copy()).requires_grad_()
    b_t = torch.from_numpy(params["b"].copy()).requires_grad_()
    V_t = torch.from_numpy(V.copy()).requires_grad_()
    c_t = torch.from_numpy(c.copy()).requires_grad_()
    x_t = torch.from_numpy(xs.copy()).requires_grad_()
    s = torch.from_numpy(s0)
    outs = []
    for t in range(T):
        s = torch.tanh(x_t[t] @ U_t.T + s @ W_t.T + b_t)
        outs.append(s @ V_t.T + c_t)
    ref = F.cross_entropy(torch.stack(outs).reshape(T * N, K), torch.from_numpy(ys.astype(np.int64)).reshape(-1))
    ref.backward()
    tol = dict(rtol=1e-10, atol=1e-10)
    assert float(loss) == pytest.approx(ref.item(), rel=1e-10)
    np.testing.assert_allclose(dxs, x_t.grad.numpy(), **tol)
    np.testing.assert_allclose(out_grads["V"], V_t.grad.numpy(), **tol)
    np.testing.assert_allclose(out_grads["c"], c_t.grad.numpy(), **tol)
    np.testing.assert_allclose(grads["U"], U_t.grad.numpy(), **tol)
    np.testing.assert_allclose(grads["W"], W_t.grad.numpy(), **tol)
    np.testing.assert_allclose(grads["b"], b_t.grad.numpy(), **tol)


# ---------------------------------------------------------------- dtype and purity


def test_float32_kept(rng):
    T, N, H, K = 3, 2, 4, 5
    ss = rng.standard_normal((T, N, H)).astype(np.float32)
    V, c = random_output(rng, H, K, dtype=np.float32)
    logits, cache = output_forward(ss, V, c)
    assert logits.dtype == np.float32
    dss, grads = output_backward(np.ones((T, N, K), np.float32), cache)
    assert dss.dtype == np.float32
    assert grads["V"].dtype == np.float32 and grads["c"].dtype == np.float32
    ys = rng.integers(0, K, size=(T, N))
    loss, dlogits = softmax_cross_entropy(logits, ys)
    assert dlogits.dtype == np.float32
    loss64, _ = softmax_cross_entropy(logits.astype(np.float64), ys)
    assert float(loss) == pytest.approx(float(loss64), rel=1e-5)


def test_inputs_not_mutated(rng):
    T, N, H, K = 3, 2, 4, 5
    ss = rng.standard_normal((T, N, H))
    V, c = random_output(rng, H, K)
    ys = rng.integers(0, K, size=(T, N))
    arrays = [ss, V, c, ys]
    before = [a.copy() for a in arrays]
    logits, cache = output_forward(ss, V, c)
    logits_before = logits.copy()
    _, dlogits = softmax_cross_entropy(logits, ys)
    np.testing.assert_array_equal(logits, logits_before)
    dlogits_before = dlogits.copy()
    output_backward(dlogits, cache)
    np.testing.assert_array_equal(dlogits, dlogits_before)
    for a, b in zip(arrays, before, strict=True):
        np.testing.assert_array_equal(a, b)
