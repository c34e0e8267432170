"""rnnlib.rnn: the plain tanh RNN, s_t = tanh(x_t @ U.T + s_prev @ W.T + b)."""

import math

import numpy as np
import pytest
import torch
from conftest import assert_grad_close, finite_difference, random_rnn_params

from rnnlib.rnn import rnn_backward, rnn_forward, rnn_step_backward, rnn_step_forward

# (N, T, D, H): all different, plus the edge cases N = 1 and T = 1.
SIZES = [(3, 5, 4, 6), (2, 4, 5, 3), (1, 3, 2, 4), (4, 1, 3, 2), (1, 1, 2, 3)]


def tiny_example():
    x_t = np.array([[1.0, 2.0]])  # (1, 2)
    s_prev = np.array([[0.5, -1.0]])  # (1, 2)
    params = {
        "U": np.array([[1.0, 0.0], [0.5, -1.0]]),  # (2, 2)
        "W": np.array([[0.5, 0.0], [1.0, 1.0]]),  # (2, 2)
        "b": np.array([0.1, -0.2]),  # (2,)
    }
    return x_t, s_prev, params


# ---------------------------------------------------------------- shapes


@pytest.mark.parametrize(("N", "T", "D", "H"), SIZES)
def test_shapes(rng, N, T, D, H):
    params = random_rnn_params(rng, D, H)
    x_t = rng.standard_normal((N, D))
    s_prev = rng.standard_normal((N, H))
    s_t, cache = rnn_step_forward(x_t, s_prev, params)
    assert s_t.shape == (N, H)
    dx_t, ds_prev, grads = rnn_step_backward(rng.standard_normal((N, H)), cache)
    assert dx_t.shape == (N, D)
    assert ds_prev.shape == (N, H)
    assert set(grads) == set(params)
    for k in params:
        assert grads[k].shape == params[k].shape, k

    xs = rng.standard_normal((T, N, D))
    ss, cache = rnn_forward(xs, s_prev, params)
    assert ss.shape == (T, N, H)
    dxs, ds0, grads = rnn_backward(rng.standard_normal((T, N, H)), cache)
    assert dxs.shape == (T, N, D)
    assert ds0.shape == (N, H)
    assert set(grads) == set(params)
    for k in params:
        assert grads[k].shape == params[k].shape, k


# ---------------------------------------------------------------- fixed values


def test_step_forward_hand_values():
    x_t, s_prev, params = tiny_example()
    s_t, _ = rnn_step_forward(x_t, s_prev, params)
    # a_0 = 1*1 + 0*2 + 0.5*0.5 + 0*(-1) + 0.1 ; a_1 = 0.5*1 - 1*2 + 1*0.5 + 1*(-1) - 0.2
    expected = [[math.tanh(1.35), math.tanh(-2.2)]]
    np.testing.assert_allclose(s_t, expected, rtol=1e-14, atol=0)


def test_step_backward_hand_values():
    x_t, s_prev, params = tiny_example()
    s_t, cache = rnn_step_forward(x_t, s_prev, params)
    dx_t, ds_prev, grads = rnn_step_backward(np.array([[1.0, 0.0]]), cache)
    da = 1.0 - math.tanh(1.35) ** 2  # only the first unit receives a gradient
    np.testing.assert_allclose(dx_t, [[da * 1.0, da * 0.0]], rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(ds_prev, [[da * 0.5, da * 0.0]], rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(grads["U"], [[da * 1.0, da * 2.0], [0.0, 0.0]], rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(grads["W"], [[da * 0.5, da * -1.0], [0.0, 0.0]], rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(grads["b"], [da, 0.0], rtol=1e-14, atol=1e-16)


def test_sequence_forward_hand_values():
    x_1, s0, params = tiny_example()
    xs = np.stack([x_1, np.array([[0.0, -1.0]])])  # (2, 1, 2)
    ss, _ = rnn_forward(xs, s0, params)
    s1 = [math.tanh(1.35), math.tanh(-2.2)]
    a2 = [
        1.0 * 0.0 + 0.0 * -1.0 + 0.5 * s1[0] + 0.0 * s1[1] + 0.1,
        0.5 * 0.0 - 1.0 * -1.0 + 1.0 * s1[0] + 1.0 * s1[1] - 0.2,
    ]
    expected = [[s1], [[math.tanh(a2[0]), math.tanh(a2[1])]]]
    np.testing.assert_allclose(ss, expected, rtol=1e-14, atol=0)


@pytest.mark.parametrize(("N", "T", "D", "H"), SIZES)
def test_sequence_equals_repeated_steps(rng, N, T, D, H):
    params = random_rnn_params(rng, D, H)
    xs = rng.standard_normal((T, N, D))
    s = rng.standard_normal((N, H))
    ss, _ = rnn_forward(xs, s, params)
    for t in range(T):
        s, _ = rnn_step_forward(xs[t], s, params)
        np.testing.assert_allclose(ss[t], s, rtol=1e-13, atol=1e-15)


# ---------------------------------------------------------------- numerical gradients


@pytest.mark.parametrize(("N", "D", "H"), [(2, 3, 4), (1, 2, 3), (3, 4, 2)])
def test_step_backward_numerical(rng, N, D, H):
    params = random_rnn_params(rng, D, H)
    x_t = rng.standard_normal((N, D))
    s_prev = rng.standard_normal((N, H))
    ds_t = rng.standard_normal((N, H))

    def loss():
        return np.sum(rnn_step_forward(x_t, s_prev, params)[0] * ds_t)

    _, cache = rnn_step_forward(x_t, s_prev, params)
    dx_t, ds_prev, grads = rnn_step_backward(ds_t, cache)
    assert_grad_close(dx_t, finite_difference(loss, x_t), name="x_t")
    assert_grad_close(ds_prev, finite_difference(loss, s_prev), name="s_prev")
    for k in ("U", "W", "b"):
        assert_grad_close(grads[k], finite_difference(loss, params[k]), name=k)


@pytest.mark.parametrize(("N", "T", "D", "H"), [(2, 4, 3, 5), (1, 1, 2, 3), (3, 3, 1, 2), (1, 5, 3, 2)])
def test_sequence_backward_numerical(rng, N, T, D, H):
    params = random_rnn_params(rng, D, H)
    xs = rng.standard_normal((T, N, D))
    s0 = rng.standard_normal((N, H))
    dss = rng.standard_normal((T, N, H))

    def loss():
        return np.sum(rnn_forward(xs, s0, params)[0] * dss)

    _, cache = rnn_forward(xs, s0, params)
    dxs, ds0, grads = rnn_backward(dss, cache)
    assert_grad_close(dxs, finite_difference(loss, xs), name="xs")
    assert_grad_close(ds0, finite_difference(loss, s0), name="s0")
    for k in ("U", "W", "b"):
        assert_grad_close(grads[k], finite_difference(loss, params[k]), name=k)


def test_backward_only_last_step_gradient_flows_back(rng):
    """With an upstream gradient on s_T only, the gradient still reaches x_1 and s_0 through W."""
    N, T, D, H = 2, 4, 3, 3
    params = random_rnn_params(rng, D, H)
    xs = rng.standard_normal((T, N, D))
    s0 = rng.standard_normal((N, H))
    dss = np.zeros((T, N, H))
    dss[-1] = rng.standard_normal((N, H))

    def loss():
        return np.sum(rnn_forward(xs, s0, params)[0] * dss)

    _, cache = rnn_forward(xs, s0, params)
    dxs, ds0, _ = rnn_backward(dss, cache)
    assert np.linalg.norm(dxs[0]) > 0
    assert_grad_close(dxs, finite_difference(loss, xs), name="xs")
    assert_grad_close(ds0, finite_difference(loss, s0), name="s0")


# ---------------------------------------------------------------- torch at float64


def torch_rnn_copy(params, rng):
    H, D = params["U"].shape
    module = torch.nn.RNN(D, H, nonlinearity="tanh", dtype=torch.float64)
    b_ih = rng.standard_normal(H)  # (H,)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(params["U"]))
        module.weight_hh_l0.copy_(torch.from_numpy(params["W"]))
        module.bias_ih_l0.copy_(torch.from_numpy(b_ih))
        module.bias_hh_l0.copy_(torch.from_numpy(params["b"] - b_ih))
    return module


@pytest.mark.parametrize(("N", "T", "D", "H"), SIZES)
def test_matches_torch_float64(rng, N, T, D, H):
    params = random_rnn_params(rng, D, H, scale=0.8)
    xs = rng.standard_normal((T, N, D))
    s0 = rng.standard_normal((N, H))
    dss = rng.standard_normal((T, N, H))

    ss, cache = rnn_forward(xs, s0, params)
    dxs, ds0, grads = rnn_backward(dss, cache)

    module = torch_rnn_copy(params, rng)
    x_t = torch.from_numpy(xs.copy()).requires_grad_()
    h0_t = torch.from_numpy(s0[None].copy()).requires_grad_()
    out, h_n = module(x_t, h0_t)
    (out * torch.from_numpy(dss)).sum().backward()

    tol = dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ss, out.detach().numpy(), **tol)
    np.testing.assert_allclose(ss[-1], h_n.detach().numpy()[0], **tol)
    np.testing.assert_allclose(dxs, x_t.grad.numpy(), **tol)
    np.testing.assert_allclose(ds0, h0_t.grad.numpy()[0], **tol)
    np.testing.assert_allclose(grads["U"], module.weight_ih_l0.grad.numpy(), **tol)
    np.testing.assert_allclose(grads["W"], module.weight_hh_l0.grad.numpy(), **tol)
    np.testing.assert_allclose(grads["b"], module.bias_ih_l0.grad.numpy(), **tol)
    np.testing.assert_allclose(grads["b"], module.bias_hh_l0.grad.numpy(), **tol)


def test_step_matches_torch_rnncell(rng):
    N, D, H = 3, 4, 5
    params = random_rnn_params(rng, D, H)
    x = rng.standard_normal((N, D))
    s_prev = rng.standard_normal((N, H))
    ds = rng.standard_normal((N, H))
    s_t, cache = rnn_step_forward(x, s_prev, params)
    dx, ds_prev, grads = rnn_step_backward(ds, cache)

    cell = torch.nn.RNNCell(D, H, nonlinearity="tanh", dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.from_numpy(params["U"]))
        cell.weight_hh.copy_(torch.from_numpy(params["W"]))
        cell.bias_ih.copy_(torch.from_numpy(0.3 * params["b"]))
        cell.bias_hh.copy_(torch.from_numpy(0.7 * params["b"]))
    xt = torch.from_numpy(x.copy()).requires_grad_()
    st = torch.from_numpy(s_prev.copy()).requires_grad_()
    out = cell(xt, st)
    (out * torch.from_numpy(ds)).sum().backward()
    tol = dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(s_t, out.detach().numpy(), **tol)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **tol)
    np.testing.assert_allclose(ds_prev, st.grad.numpy(), **tol)
    np.testing.assert_allclose(grads["U"], cell.weight_ih.grad.numpy(), **tol)
    np.testing.assert_allclose(grads["W"], cell.weight_hh.grad.numpy(), **tol)
    np.testing.assert_allclose(grads["b"], cell.bias_ih.grad.numpy(), **tol)


# ---------------------------------------------------------------- dtype and purity


def test_float32_kept(rng):
    N, T, D, H = 2, 3, 4, 5
    params = random_rnn_params(rng, D, H, dtype=np.float32)
    xs = rng.standard_normal((T, N, D)).astype(np.float32)
    s0 = rng.standard_normal((N, H)).astype(np.float32)

    s_t, cache = rnn_step_forward(xs[0], s0, params)
    assert s_t.dtype == np.float32
    dx, ds_prev, grads = rnn_step_backward(np.ones((N, H), np.float32), cache)
    assert dx.dtype == np.float32 and ds_prev.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())

    ss, cache = rnn_forward(xs, s0, params)
    assert ss.dtype == np.float32
    dxs, ds0, grads = rnn_backward(np.ones((T, N, H), np.float32), cache)
    assert dxs.dtype == np.float32 and ds0.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())

    params64 = {k: v.astype(np.float64) for k, v in params.items()}
    ss64, _ = rnn_forward(xs.astype(np.float64), s0.astype(np.float64), params64)
    np.testing.assert_allclose(ss, ss64, rtol=1e-5, atol=1e-6)


def test_inputs_not_mutated(rng):
    N, T, D, H = 2, 3, 4, 5
    params = random_rnn_params(rng, D, H)
    xs = rng.standard_normal((T, N, D))
    s0 = rng.standard_normal((N, H))
    dss = rng.standard_normal((T, N, H))
    before = [a.copy() for a in (xs, s0, dss, *params.values())]
    _, cache = rnn_forward(xs, s0, params)
    rnn_backward(dss, cache)
    for a, b in zip((xs, s0, dss, *params.values()), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_backward_twice_gives_same_result(rng):
    """The cache is read, not consumed: calling backward twice gives the same gradients."""
    N, T, D, H = 2, 3, 4, 5
    params = random_rnn_params(rng, D, H)
    xs = rng.standard_normal((T, N, D))
    s0 = rng.standard_normal((N, H))
    dss = rng.standard_normal((T, N, H))
    _, cache = rnn_forward(xs, s0, params)
    first = rnn_backward(dss, cache)
    second = rnn_backward(dss, cache)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    for k in params:
        np.testing.assert_array_equal(first[2][k], second[2][k])
