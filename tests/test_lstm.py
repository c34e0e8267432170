"""rnnlib.lstm (gate by gate) and rnnlib.fused (four gates in one product)."""

import math

import numpy as np
import pytest
import torch
from conftest import (
    LSTM_KEYS,
    assert_grad_close,
    finite_difference,
    random_lstm_params,
    torch_lstm_copy,
    torch_lstm_grads,
)

from rnnlib.fused import lstm_layer_backward, lstm_layer_forward
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

# (N, T, D, H): all different, plus the edge cases N = 1 and T = 1.
SIZES = [(3, 5, 4, 6), (2, 4, 5, 3), (1, 3, 2, 4), (4, 1, 3, 2), (1, 1, 2, 3)]
SEQUENCE_IMPLS = {
    "gate_by_gate": (lstm_forward, lstm_backward),
    "fused": (lstm_layer_forward, lstm_layer_backward),
}


def sig(a):
    return 1.0 / (1.0 + math.exp(-a))


def np_sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# ---------------------------------------------------------------- the gates, fixed values


# h_prev = [1, -1], x_t = [2], so z_t = [h_prev, x_t] = [1, -1, 2] (h first).
GATE_H = np.array([[1.0, -1.0]])  # (1, 2)
GATE_X = np.array([[2.0]])  # (1, 1)
GATE_W = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, -1.0]])  # (2, 3)
GATE_B = np.array([0.0, 0.5])  # (2,)
# pre-activations: [1*1 + 0*(-1) + 0.5*2 + 0, 0*1 + 1*(-1) - 1*2 + 0.5] = [2, -2.5]


@pytest.mark.parametrize(
    ("gate", "activation"),
    [(forget_gate, sig), (input_gate, sig), (output_gate, sig), (candidate_cell, math.tanh)],
)
def test_gate_hand_values(gate, activation):
    out = gate(GATE_H, GATE_X, GATE_W, GATE_B)
    assert out.shape == (1, 2)
    np.testing.assert_allclose(out, [[activation(2.0), activation(-2.5)]], rtol=1e-14, atol=0)


def test_gate_concatenates_h_first():
    """A weight that only reads the first H columns must see h_prev, not x_t."""
    H, D = 2, 3
    h_prev = np.array([[0.3, -0.7]])
    x_t = np.array([[5.0, 6.0, 7.0]])
    W = np.zeros((H, H + D))
    W[:, :H] = np.eye(H)
    b = np.zeros(H)
    np.testing.assert_allclose(forget_gate(h_prev, x_t, W, b), np_sigmoid(h_prev), rtol=1e-14)
    np.testing.assert_allclose(candidate_cell(h_prev, x_t, W, b), np.tanh(h_prev), rtol=1e-14)


@pytest.mark.parametrize(("N", "D", "H"), [(3, 4, 5), (1, 2, 3), (4, 3, 1)])
def test_gates_random_values(rng, N, D, H):
    h_prev = rng.standard_normal((N, H))
    x_t = rng.standard_normal((N, D))
    W = rng.standard_normal((H, H + D))
    b = rng.standard_normal(H)
    a = np.concatenate([h_prev, x_t], axis=1) @ W.T + b  # (N, H)
    for gate in (forget_gate, input_gate, output_gate):
        out = gate(h_prev, x_t, W, b)
        assert out.shape == (N, H)
        np.testing.assert_allclose(out, np_sigmoid(a), rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(candidate_cell(h_prev, x_t, W, b), np.tanh(a), rtol=1e-13, atol=1e-16)


def test_cell_update_hand_values():
    f_t = np.array([[0.5, 0.25]])
    C_prev = np.array([[2.0, -4.0]])
    i_t = np.array([[1.0, 0.5]])
    C_tilde_t = np.array([[0.1, 0.2]])
    C_t = cell_update(f_t, C_prev, i_t, C_tilde_t)
    # 0.5*2 + 1*0.1 ; 0.25*(-4) + 0.5*0.2
    np.testing.assert_allclose(C_t, [[1.1, -0.9]], rtol=1e-15)


def test_hidden_state_hand_values():
    o_t = np.array([[0.5, 1.0, 0.25]])
    C_t = np.array([[0.0, 1.0, -2.0]])
    np.testing.assert_allclose(
        hidden_state(o_t, C_t), [[0.0, math.tanh(1.0), 0.25 * math.tanh(-2.0)]], rtol=1e-15, atol=0
    )


def test_step_forward_hand_values():
    # H = D = N = 1; columns of every W are [h, x].
    params = {
        "W_f": np.array([[1.0, 0.5]]), "b_f": np.array([0.1]),
        "W_i": np.array([[-1.0, 1.0]]), "b_i": np.array([0.0]),
        "W_C": np.array([[0.5, -0.5]]), "b_C": np.array([0.2]),
        "W_o": np.array([[2.0, 0.0]]), "b_o": np.array([-1.0]),
    }  # fmt: skip
    x_t = np.array([[2.0]])
    h_prev = np.array([[0.5]])
    C_prev = np.array([[-1.0]])
    f = sig(0.5 * 1.0 + 2.0 * 0.5 + 0.1)  # sig(1.6)
    i = sig(0.5 * -1.0 + 2.0 * 1.0)  # sig(1.5)
    C_tilde = math.tanh(0.5 * 0.5 + 2.0 * -0.5 + 0.2)  # tanh(-0.55)
    o = sig(0.5 * 2.0 + 0.0 - 1.0)  # sig(0) = 0.5
    C = f * -1.0 + i * C_tilde
    h = o * math.tanh(C)
    h_t, C_t, _ = lstm_step_forward(x_t, h_prev, C_prev, params)
    np.testing.assert_allclose(C_t, [[C]], rtol=1e-14)
    np.testing.assert_allclose(h_t, [[h]], rtol=1e-14)


def test_step_backward_cell_path_is_forget_gate(rng):
    """With dh_t = 0 and dC_t = 1, dC_prev is exactly f_t."""
    N, D, H = 3, 2, 4
    params = random_lstm_params(rng, D, H)
    x_t = rng.standard_normal((N, D))
    h_prev = rng.standard_normal((N, H))
    C_prev = rng.standard_normal((N, H))
    _, _, cache = lstm_step_forward(x_t, h_prev, C_prev, params)
    _, _, dC_prev, _ = lstm_step_backward(np.zeros((N, H)), np.ones((N, H)), cache)
    f_t = forget_gate(h_prev, x_t, params["W_f"], params["b_f"])
    np.testing.assert_allclose(dC_prev, f_t, rtol=1e-14)


# ---------------------------------------------------------------- shapes


@pytest.mark.parametrize(("N", "T", "D", "H"), SIZES)
def test_step_shapes(rng, N, T, D, H):
    params = random_lstm_params(rng, D, H)
    h_t, C_t, cache = lstm_step_forward(rng.standard_normal((N, D)), rng.standard_normal((N, H)),
                                        rng.standard_normal((N, H)), params)
    assert h_t.shape == (N, H) and C_t.shape == (N, H)
    dx, dh_prev, dC_prev, grads = lstm_step_backward(rng.standard_normal((N, H)),
                                                     rng.standard_normal((N, H)), cache)
    assert dx.shape == (N, D) and dh_prev.shape == (N, H) and dC_prev.shape == (N, H)
    assert set(grads) == set(LSTM_KEYS)
    for k in LSTM_KEYS:
        assert grads[k].shape == params[k].shape, k


@pytest.mark.parametrize("impl", sorted(SEQUENCE_IMPLS))
@pytest.mark.parametrize(("N", "T", "D", "H"), SIZES)
def test_sequence_shapes(rng, impl, N, T, D, H):
    forward, backward = SEQUENCE_IMPLS[impl]
    params = random_lstm_params(rng, D, H)
    hs, Cs, cache = forward(rng.standard_normal((T, N, D)), rng.standard_normal((N, H)),
                            rng.standard_normal((N, H)), params)
    assert hs.shape == (T, N, H) and Cs.shape == (T, N, H)
    dxs, dh0, dC0, grads = backward(rng.standard_normal((T, N, H)), cache)
    assert dxs.shape == (T, N, D) and dh0.shape == (N, H) and dC0.shape == (N, H)
    assert set(grads) == set(LSTM_KEYS)
    for k in LSTM_KEYS:
        assert grads[k].shape == params[k].shape, k


@pytest.mark.parametrize(("N", "T", "D", "H"), SIZES)
def test_sequence_equals_repeated_steps(rng, N, T, D, H):
    params = random_lstm_params(rng, D, H)
    xs = rng.standard_normal((T, N, D))
    h = rng.standard_normal((N, H))
    C = rng.standard_normal((N, H))
    hs, Cs, _ = lstm_forward(xs, h, C, params)
    for t in range(T):
        h, C, _ = lstm_step_forward(xs[t], h, C, params)
        np.testing.assert_allclose(hs[t], h, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(Cs[t], C, rtol=1e-13, atol=1e-15)


# ---------------------------------------------------------------- numerical gradients


@pytest.mark.parametrize(("N", "D", "H"), [(2, 3, 4), (1, 2, 3), (3, 1, 2)])
def test_step_backward_numerical(rng, N, D, H):
    params = random_lstm_params(rng, D, H)
    x_t = rng.standard_normal((N, D))
    h_prev = rng.standard_normal((N, H))
    C_prev = rng.standard_normal((N, H))
    dh_t = rng.standard_normal((N, H))
    dC_t = rng.standard_normal((N, H))

    def loss():
        h_t, C_t, _ = lstm_step_forward(x_t, h_prev, C_prev, params)
        return np.sum(h_t * dh_t) + np.sum(C_t * dC_t)

    _, _, cache = lstm_step_forward(x_t, h_prev, C_prev, params)
    dx, dh_prev, dC_prev, grads = lstm_step_backward(dh_t, dC_t, cache)
    assert_grad_close(dx, finite_difference(loss, x_t), name="x_t")
    assert_grad_close(dh_prev, finite_difference(loss, h_prev), name="h_prev")
    assert_grad_close(dC_prev, finite_difference(loss, C_prev), name="C_prev")
    for k in LSTM_KEYS:
        assert_grad_close(grads[k], finite_difference(loss, params[k]), name=k)


@pytest.mark.parametrize("impl", sorted(SEQUENCE_IMPLS))
@pytest.mark.parametrize("with_dC_n", [False, True])
@pytest.mark.parametrize(("N", "T", "D", "H"), [(2, 3, 4, 3), (1, 1, 2, 3), (3, 4, 1, 2)])
def test_sequence_backward_numerical(rng, impl, with_dC_n, N, T, D, H):
    forward, backward = SEQUENCE_IMPLS[impl]
    params = random_lstm_params(rng, D, H)
    xs = rng.standard_normal((T, N, D))
    h0 = rng.standard_normal((N, H))
    C0 = rng.standard_normal((N, H))
    dhs = rng.standard_normal((T, N, H))
    dC_n = rng.standard_normal((N, H)) if with_dC_n else np.zeros((N, H))

    def loss():
        hs, Cs, _ = forward(xs, h0, C0, params)
        return np.sum(hs * dhs) + np.sum(Cs[-1] * dC_n)

    _, _, cache = forward(xs, h0, C0, params)
    if with_dC_n:
        dxs, dh0, dC0, grads = backward(dhs, cache, dC_n)
    else:
        dxs, dh0, dC0, grads = backward(dhs, cache)
    assert_grad_close(dxs, finite_difference(loss, xs), name="xs")
    assert_grad_close(dh0, finite_difference(loss, h0), name="h0")
    assert_grad_close(dC0, finite_difference(loss, C0), name="C0")
    for k in LSTM_KEYS:
        assert_grad_close(grads[k], finite_difference(loss, params[k]), name=k)


@pytest.mark.parametrize("impl", sorted(SEQUENCE_IMPLS))
def test_dC_n_none_equals_zeros_and_keyword(rng, impl):
    forward, backward = SEQUENCE_IMPLS[impl]
    N, T, D, H = 2, 3, 4, 5
    params = random_lstm_params(rng, D, H)
    _, _, cache = forward(rng.standard_normal((T, N, D)), rng.standard_normal((N, H)),
                          rng.standard_normal((N, H)), params)
    dhs = rng.standard_normal((T, N, H))
    a = backward(dhs, cache)
    b = backward(dhs, cache, dC_n=np.zeros((N, H)))
    c = backward(dhs, cache, dC_n=np.ones((N, H)))
    for x, y in zip(a[:3], b[:3], strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.allclose(a[2], c[2])  # the cell-state gradient does reach C0


# ---------------------------------------------------------------- torch at float64


@pytest.mark.parametrize("impl", sorted(SEQUENCE_IMPLS))
@pytest.mark.parametrize(("N", "T", "D", "H"), SIZES)
def test_matches_torch_float64(rng, impl, N, T, D, H):
    forward, backward = SEQUENCE_IMPLS[impl]
    params = random_lstm_params(rng, D, H, scale=0.8)
    xs = rng.standard_normal((T, N, D))
    h0 = rng.standard_normal((N, H))
    C0 = rng.standard_normal((N, H))
    dhs = rng.standard_normal((T, N, H))
    dC_n = rng.standard_normal((N, H))

    hs, Cs, cache = forward(xs, h0, C0, params)
    dxs, dh0, dC0, grads = backward(dhs, cache, dC_n)

    module = torch_lstm_copy([params], D, H, rng)
    x_t = torch.from_numpy(xs.copy()).requires_grad_()
    h0_t = torch.from_numpy(h0[None].copy()).requires_grad_()
    C0_t = torch.from_numpy(C0[None].copy()).requires_grad_()
    out, (h_n, c_n) = module(x_t, (h0_t, C0_t))
    ((out * torch.from_numpy(dhs)).sum() + (c_n[0] * torch.from_numpy(dC_n)).sum()).backward()

    tol = dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(hs, out.detach().numpy(), **tol)
    np.testing.assert_allclose(hs[-1], h_n.detach().numpy()[0], **tol)
    np.testing.assert_allclose(Cs[-1], c_n.detach().numpy()[0], **tol)
    np.testing.assert_allclose(dxs, x_t.grad.numpy(), **tol)
    np.testing.assert_allclose(dh0, h0_t.grad.numpy()[0], **tol)
    np.testing.assert_allclose(dC0, C0_t.grad.numpy()[0], **tol)
    (expected,) = torch_lstm_grads(module, H)
    for k in LSTM_KEYS:
        np.testing.assert_allclose(grads[k], expected[k], err_msg=k, **tol)


@pytest.mark.parametrize("impl", sorted(SEQUENCE_IMPLS))
def test_every_cell_state_matches_torch_lstmcell(rng, impl):
    forward, _ = SEQUENCE_IMPLS[impl]
    N, T, D, H = 3, 4, 2, 5
    params = random_lstm_params(rng, D, H, scale=0.8)
    xs = rng.standard_normal((T, N, D))
    h0 = rng.standard_normal((N, H))
    C0 = rng.standard_normal((N, H))
    hs, Cs, _ = forward(xs, h0, C0, params)

    module = torch_lstm_copy([params], D, H, rng)
    cell = torch.nn.LSTMCell(D, H, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(module.weight_ih_l0)
        cell.weight_hh.copy_(module.weight_hh_l0)
        cell.bias_ih.copy_(module.bias_ih_l0)
        cell.bias_hh.copy_(module.bias_hh_l0)
        h, C = torch.from_numpy(h0), torch.from_numpy(C0)
        for t in range(T):
            h, C = cell(torch.from_numpy(xs[t]), (h, C))
            np.testing.assert_allclose(hs[t], h.numpy(), rtol=1e-10, atol=1e-10)
            np.testing.assert_allclose(Cs[t], C.numpy(), rtol=1e-10, atol=1e-10)


def test_step_matches_torch_lstmcell(rng):
    N, D, H = 3, 4, 2
    params = random_lstm_params(rng, D, H, scale=0.8)
    x = rng.standard_normal((N, D))
    h_prev = rng.standard_normal((N, H))
    C_prev = rng.standard_normal((N, H))
    dh = rng.standard_normal((N, H))
    dC = rng.standard_normal((N, H))
    h_t, C_t, cache = lstm_step_forward(x, h_prev, C_prev, params)
    dx, dh_prev, dC_prev, grads = lstm_step_backward(dh, dC, cache)

    module = torch_lstm_copy([params], D, H, rng)
    xt = torch.from_numpy(x.copy()).requires_grad_()
    ht = torch.from_numpy(h_prev[None].copy()).requires_grad_()
    Ct = torch.from_numpy(C_prev[None].copy()).requires_grad_()
    out, (h_n, c_n) = module(xt[None], (ht, Ct))
    ((h_n[0] * torch.from_numpy(dh)).sum() + (c_n[0] * torch.from_numpy(dC)).sum()).backward()
    tol = dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(h_t, h_n.detach().numpy()[0], **tol)
    np.testing.assert_allclose(C_t, c_n.detach().numpy()[0], **tol)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **tol)
    np.testing.assert_allclose(dh_prev, ht.grad.numpy()[0], **tol)
    np.testing.assert_allclose(dC_prev, Ct.grad.numpy()[0], **tol)
    (expected,) = torch_lstm_grads(module, H)
    for k in LSTM_KEYS:
        np.testing.assert_allclose(grads[k], expected[k], err_msg=k, **tol)


# ---------------------------------------------------------------- fused == gate by gate


@pytest.mark.parametrize("with_dC_n", [False, True])
@pytest.mark.parametrize(("N", "T", "D", "H"), SIZES)
def test_fused_equals_gate_by_gate_float64(rng, with_dC_n, N, T, D, H):
    params = random_lstm_params(rng, D, H, scale=1.0)
    xs = rng.standard_normal((T, N, D))
    h0 = rng.standard_normal((N, H))
    C0 = rng.standard_normal((N, H))
    dhs = rng.standard_normal((T, N, H))
    dC_n = rng.standard_normal((N, H)) if with_dC_n else None

    hs_a, Cs_a, cache_a = lstm_forward(xs, h0, C0, params)
    hs_b, Cs_b, cache_b = lstm_layer_forward(xs, h0, C0, params)
    tol = dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hs_b, hs_a, **tol)
    np.testing.assert_allclose(Cs_b, Cs_a, **tol)
    assert hs_b.dtype == np.float64 and Cs_b.dtype == np.float64

    dxs_a, dh0_a, dC0_a, grads_a = lstm_backward(dhs, cache_a, dC_n)
    dxs_b, dh0_b, dC0_b, grads_b = lstm_layer_backward(dhs, cache_b, dC_n)
    np.testing.assert_allclose(dxs_b, dxs_a, **tol)
    np.testing.assert_allclose(dh0_b, dh0_a, **tol)
    np.testing.assert_allclose(dC0_b, dC0_a, **tol)
    assert set(grads_b) == set(LSTM_KEYS)
    for k in LSTM_KEYS:
        np.testing.assert_allclose(grads_b[k], grads_a[k], err_msg=k, **tol)
        assert grads_b[k].dtype == np.float64


@pytest.mark.parametrize(("N", "T", "D", "H"), [(3, 5, 4, 6), (1, 1, 2, 3), (8, 20, 16, 32)])
def test_fused_float32_close_to_float64(rng, N, T, D, H):
    params = random_lstm_params(rng, D, H, dtype=np.float32)
    xs = rng.standard_normal((T, N, D)).astype(np.float32)
    h0 = rng.standard_normal((N, H)).astype(np.float32)
    C0 = rng.standard_normal((N, H)).astype(np.float32)
    dhs = rng.standard_normal((T, N, H)).astype(np.float32)
    dC_n = rng.standard_normal((N, H)).astype(np.float32)

    hs, Cs, cache = lstm_layer_forward(xs, h0, C0, params)
    dxs, dh0, dC0, grads = lstm_layer_backward(dhs, cache, dC_n)
    for a in (hs, Cs, dxs, dh0, dC0, *grads.values()):
        assert a.dtype == np.float32

    up = {k: v.astype(np.float64) for k, v in params.items()}
    hs64, Cs64, cache64 = lstm_forward(xs.astype(np.float64), h0.astype(np.float64), C0.astype(np.float64), up)
    dxs64, dh064, dC064, grads64 = lstm_backward(dhs.astype(np.float64), cache64, dC_n.astype(np.float64))

    def close(a, b, name):
        scale = max(1.0, float(np.max(np.abs(b))))
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * scale, err_msg=name)

    close(hs, hs64, "hs")
    close(Cs, Cs64, "Cs")
    close(dxs, dxs64, "dxs")
    close(dh0, dh064, "dh0")
    close(dC0, dC064, "dC0")
    for k in LSTM_KEYS:
        close(grads[k], grads64[k], k)


# ---------------------------------------------------------------- dtype and purity


def test_gates_keep_float32(rng):
    N, D, H = 2, 3, 4
    h = rng.standard_normal((N, H)).astype(np.float32)
    x = rng.standard_normal((N, D)).astype(np.float32)
    W = rng.standard_normal((H, H + D)).astype(np.float32)
    b = rng.standard_normal(H).astype(np.float32)
    for gate in (forget_gate, input_gate, candidate_cell, output_gate):
        assert gate(h, x, W, b).dtype == np.float32, gate.__name__
    assert cell_update(h, h, h, h).dtype == np.float32
    assert hidden_state(h, h).dtype == np.float32


def test_step_and_sequence_keep_float32(rng):
    N, T, D, H = 2, 3, 4, 5
    params = random_lstm_params(rng, D, H, dtype=np.float32)
    xs = rng.standard_normal((T, N, D)).astype(np.float32)
    h0 = rng.standard_normal((N, H)).astype(np.float32)
    C0 = rng.standard_normal((N, H)).astype(np.float32)
    ones = np.ones((N, H), np.float32)

    h, C, cache = lstm_step_forward(xs[0], h0, C0, params)
    assert h.dtype == np.float32 and C.dtype == np.float32
    out = lstm_step_backward(ones, ones, cache)
    for a in (*out[:3], *out[3].values()):
        assert a.dtype == np.float32

    hs, Cs, cache = lstm_forward(xs, h0, C0, params)
    assert hs.dtype == np.float32 and Cs.dtype == np.float32
    out = lstm_backward(np.ones((T, N, H), np.float32), cache, ones)
    for a in (*out[:3], *out[3].values()):
        assert a.dtype == np.float32


@pytest.mark.parametrize("impl", sorted(SEQUENCE_IMPLS))
def test_inputs_not_mutated(rng, impl):
    forward, backward = SEQUENCE_IMPLS[impl]
    N, T, D, H = 2, 3, 4, 5
    params = random_lstm_params(rng, D, H)
    arrays = [rng.standard_normal((T, N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H)),
              rng.standard_normal((T, N, H)), rng.standard_normal((N, H))]
    xs, h0, C0, dhs, dC_n = arrays
    before = [a.copy() for a in (*arrays, *params.values())]
    _, _, cache = forward(xs, h0, C0, params)
    backward(dhs, cache, dC_n)
    backward(dhs, cache, dC_n)
    for a, b in zip((*arrays, *params.values()), before, strict=True):
        np.testing.assert_array_equal(a, b)
