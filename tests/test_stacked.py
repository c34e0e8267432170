"""rnnlib.stacked: an L-layer LSTM, each layer reading the hidden states of the one below."""

import numpy as np
import pytest
import torch
from conftest import (
    LSTM_KEYS,
    assert_grad_close,
    finite_difference,
    random_stacked_params,
    torch_lstm_copy,
    torch_lstm_grads,
)

from rnnlib.lstm import lstm_forward
from rnnlib.stacked import stacked_lstm_backward, stacked_lstm_forward

# (N, T, D, H): all different, plus the edge cases N = 1 and T = 1.
SIZES = [(3, 5, 4, 6), (2, 4, 5, 3), (1, 3, 2, 4), (4, 1, 3, 2), (1, 1, 2, 3)]


def random_inputs(rng, N, T, D, H, L, dtype=np.float64):
    xs = rng.standard_normal((T, N, D)).astype(dtype)  # (T, N, D)
    h0 = rng.standard_normal((L, N, H)).astype(dtype)  # (L, N, H)
    C0 = rng.standard_normal((L, N, H)).astype(dtype)  # (L, N, H)
    return xs, h0, C0


@pytest.mark.parametrize("L", [1, 2, 3])
@pytest.mark.parametrize(("N", "T", "D", "H"), SIZES)
def test_shapes(rng, L, N, T, D, H):
    layers = random_stacked_params(rng, D, H, L)
    xs, h0, C0 = random_inputs(rng, N, T, D, H, L)
    hs, h_n, C_n, cache = stacked_lstm_forward(xs, h0, C0, layers)
    assert hs.shape == (T, N, H)
    assert h_n.shape == (L, N, H) and C_n.shape == (L, N, H)
    dxs, dh0, dC0, layer_grads = stacked_lstm_backward(rng.standard_normal((T, N, H)), cache)
    assert dxs.shape == (T, N, D)
    assert dh0.shape == (L, N, H) and dC0.shape == (L, N, H)
    assert isinstance(layer_grads, list) and len(layer_grads) == L
    for p, g in zip(layers, layer_grads, strict=True):
        assert set(g) == set(p)
        for k in p:
            assert g[k].shape == p[k].shape, k


@pytest.mark.parametrize("L", [1, 2, 3])
def test_layers_compose_single_layer_lstms(rng, L):
    """Layer l's input is layer l-1's hidden states; h_n, C_n are each layer's last states."""
    N, T, D, H = 2, 4, 3, 5
    layers = random_stacked_params(rng, D, H, L)
    xs, h0, C0 = random_inputs(rng, N, T, D, H, L)
    hs, h_n, C_n, _ = stacked_lstm_forward(xs, h0, C0, layers)
    inp = xs
    for layer in range(L):
        out, Cs, _ = lstm_forward(inp, h0[layer], C0[layer], layers[layer])
        np.testing.assert_allclose(h_n[layer], out[-1], rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(C_n[layer], Cs[-1], rtol=1e-13, atol=1e-15)
        inp = out
    np.testing.assert_allclose(hs, inp, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("L", [1, 2, 3])
@pytest.mark.parametrize(
    ("N", "T", "D", "H"), [(2, 3, 3, 2), (1, 1, 2, 3), (2, 2, 1, 2)]
)
def test_backward_numerical(rng, L, N, T, D, H):
    layers = random_stacked_params(rng, D, H, L)
    xs, h0, C0 = random_inputs(rng, N, T, D, H, L)
    dhs = rng.standard_normal((T, N, H))
    dh_n = rng.standard_normal((L, N, H))
    dC_n = rng.standard_normal((L, N, H))

    def loss():
        hs, h_n, C_n, _ = stacked_lstm_forward(xs, h0, C0, layers)
        return np.sum(hs * dhs) + np.sum(h_n * dh_n) + np.sum(C_n * dC_n)

    _, _, _, cache = stacked_lstm_forward(xs, h0, C0, layers)
    dxs, dh0, dC0, layer_grads = stacked_lstm_backward(dhs, cache, dh_n, dC_n)
    assert_grad_close(dxs, finite_difference(loss, xs), name="xs")
    assert_grad_close(dh0, finite_difference(loss, h0), name="h0")
    assert_grad_close(dC0, finite_difference(loss, C0), name="C0")
    for layer in range(L):
        for k in LSTM_KEYS:
            assert_grad_close(layer_grads[layer][k], finite_difference(loss, layers[layer][k]),
                              name=f"layer {layer} {k}")


@pytest.mark.parametrize("L", [2, 3])
def test_backward_numerical_without_final_state_gradients(rng, L):
    N, T, D, H = 2, 3, 2, 3
    layers = random_stacked_params(rng, D, H, L)
    xs, h0, C0 = random_inputs(rng, N, T, D, H, L)
    dhs = rng.standard_normal((T, N, H))

    def loss():
        return np.sum(stacked_lstm_forward(xs, h0, C0, layers)[0] * dhs)

    _, _, _, cache = stacked_lstm_forward(xs, h0, C0, layers)
    dxs, dh0, dC0, layer_grads = stacked_lstm_backward(dhs, cache)
    assert_grad_close(dxs, finite_difference(loss, xs), name="xs")
    assert_grad_close(dh0, finite_difference(loss, h0), name="h0")
    assert_grad_close(dC0, finite_difference(loss, C0), name="C0")
    for layer in range(L):
        for k in ("W_f", "b_o"):
            assert_grad_close(layer_grads[layer][k], finite_difference(loss, layers[layer][k]),
                              name=f"layer {layer} {k}")
    # None and explicit zeros are the same thing.
    explicit = stacked_lstm_backward(dhs, cache, np.zeros((L, N, H)), np.zeros((L, N, H)))
    np.testing.assert_array_equal(explicit[0], dxs)
    np.testing.assert_array_equal(explicit[1], dh0)
    np.testing.assert_array_equal(explicit[2], dC0)
    # Without dxs, everything else is unchanged.
    no_dxs = stacked_lstm_backward(dhs, cache, need_dxs=False)
    assert no_dxs[0] is None
    np.testing.assert_array_equal(no_dxs[1], dh0)
    np.testing.assert_array_equal(no_dxs[2], dC0)
    for layer in range(L):
        for k, g in layer_grads[layer].items():
            np.testing.assert_array_equal(no_dxs[3][layer][k], g)


@pytest.mark.parametrize("L", [1, 2, 3])
@pytest.mark.parametrize(("N", "T", "D", "H"), SIZES)
def test_matches_torch_float64(rng, L, N, T, D, H):
    layers = random_stacked_params(rng, D, H, L, scale=0.8)
    xs, h0, C0 = random_inputs(rng, N, T, D, H, L)
    dhs = rng.standard_normal((T, N, H))
    dh_n = rng.standard_normal((L, N, H))
    dC_n = rng.standard_normal((L, N, H))

    hs, h_n, C_n, cache = stacked_lstm_forward(xs, h0, C0, layers)
    dxs, dh0, dC0, layer_grads = stacked_lstm_backward(dhs, cache, dh_n=dh_n, dC_n=dC_n)

    module = torch_lstm_copy(layers, D, H, rng)
    x_t = torch.from_numpy(xs.copy()).requires_grad_()
    h0_t = torch.from_numpy(h0.copy()).requires_grad_()
    C0_t = torch.from_numpy(C0.copy()).requires_grad_()
    out, (h_n_t, c_n_t) = module(x_t, (h0_t, C0_t))
    loss = (
        (out * torch.from_numpy(dhs)).sum()
        + (h_n_t * torch.from_numpy(dh_n)).sum()
        + (c_n_t * torch.from_numpy(dC_n)).sum()
    )
    loss.backward()

    tol = dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(hs, out.detach().numpy(), **tol)
    np.testing.assert_allclose(h_n, h_n_t.detach().numpy(), **tol)
    np.testing.assert_allclose(C_n, c_n_t.detach().numpy(), **tol)
    np.testing.assert_allclose(dxs, x_t.grad.numpy(), **tol)
    np.testing.assert_allclose(dh0, h0_t.grad.numpy(), **tol)
    np.testing.assert_allclose(dC0, C0_t.grad.numpy(), **tol)
    expected = torch_lstm_grads(module, H)
    for layer in range(L):
        for k in LSTM_KEYS:
            np.testing.assert_allclose(layer_grads[layer][k], expected[layer][k],
                                       err_msg=f"layer {layer} {k}", **tol)


def test_float32_kept(rng):
    N, T, D, H, L = 2, 3, 4, 5, 2
    layers = random_stacked_params(rng, D, H, L, dtype=np.float32)
    xs, h0, C0 = random_inputs(rng, N, T, D, H, L, dtype=np.float32)
    hs, h_n, C_n, cache = stacked_lstm_forward(xs, h0, C0, layers)
    for a in (hs, h_n, C_n):
        assert a.dtype == np.float32
    ones = np.ones((L, N, H), np.float32)
    dxs, dh0, dC0, layer_grads = stacked_lstm_backward(np.ones((T, N, H), np.float32), cache, ones, ones)
    for a in (dxs, dh0, dC0):
        assert a.dtype == np.float32
    for g in layer_grads:
        for k, v in g.items():
            assert v.dtype == np.float32, k

    layers64 = [{k: v.astype(np.float64) for k, v in p.items()} for p in layers]
    hs64, _, _, _ = stacked_lstm_forward(xs.astype(np.float64), h0.astype(np.float64),
                                         C0.astype(np.float64), layers64)
    np.testing.assert_allclose(hs, hs64, rtol=1e-4, atol=1e-5)


def test_inputs_not_mutated(rng):
    N, T, D, H, L = 2, 3, 4, 5, 3
    layers = random_stacked_params(rng, D, H, L)
    xs, h0, C0 = random_inputs(rng, N, T, D, H, L)
    dhs = rng.standard_normal((T, N, H))
    dh_n = rng.standard_normal((L, N, H))
    dC_n = rng.standard_normal((L, N, H))
    arrays = [xs, h0, C0, dhs, dh_n, dC_n] + [v for p in layers for v in p.values()]
    before = [a.copy() for a in arrays]
    _, _, _, cache = stacked_lstm_forward(xs, h0, C0, layers)
    stacked_lstm_backward(dhs, cache, dh_n, dC_n)
    for a, b in zip(arrays, before, strict=True):
        np.testing.assert_array_equal(a, b)
