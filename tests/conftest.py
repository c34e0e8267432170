"""Shared fixtures for the rnnlib tests.

The references used here are independent of rnnlib: finite differences written below,
plain math, and torch at float64.
"""

import numpy as np
import pytest

GATES = ("f", "i", "C", "o")
LSTM_KEYS = ("W_f", "W_i", "W_C", "W_o", "b_f", "b_i", "b_C", "b_o")
# torch stacks its LSTM gates in the order (i, f, g, o); g is the candidate cell C~.
TORCH_GATE_ORDER = ("i", "f", "C", "o")


def finite_difference(loss, x, eps=1e-6):
    """Central-difference gradient of the scalar ``loss()`` with respect to the array ``x``.

    ``x`` is perturbed in place one entry at a time and restored afterwards, so ``loss``
    reads it through a closure.
    """
    assert x.dtype == np.float64
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        plus = loss()
        x[idx] = old - eps
        minus = loss()
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a, b):
    """Norm-based relative error ||a - b|| / (||a|| + ||b||), 0 for two zero arrays."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    if denom == 0.0:
        return 0.0
    return float(np.linalg.norm(a - b) / denom)


def assert_grad_close(analytic, numeric, tol=1e-7, name=""):
    assert analytic.shape == numeric.shape, (name, analytic.shape, numeric.shape)
    # A gradient that is identically zero would make every comparison trivial.
    assert np.linalg.norm(numeric) > 1e-6, f"{name}: reference gradient is zero, test is vacuous"
    err = relative_error(analytic, numeric)
    assert err < tol, f"{name}: relative error {err:.3e} >= {tol:.0e}"


def random_rnn_params(rng, D, H, dtype=np.float64, scale=0.5):
    return {
        "U": (scale * rng.standard_normal((H, D))).astype(dtype),  # (H, D)
        "W": (scale * rng.standard_normal((H, H))).astype(dtype),  # (H, H)
        "b": (scale * rng.standard_normal(H)).astype(dtype),  # (H,)
    }


def random_lstm_params(rng, D, H, dtype=np.float64, scale=0.5):
    params = {}
    for g in GATES:
        params[f"W_{g}"] = (scale * rng.standard_normal((H, H + D))).astype(dtype)  # (H, H + D)
        params[f"b_{g}"] = (scale * rng.standard_normal(H)).astype(dtype)  # (H,), non-zero
    return params


def random_stacked_params(rng, D, H, L, dtype=np.float64, scale=0.5):
    return [random_lstm_params(rng, D if layer == 0 else H, H, dtype, scale) for layer in range(L)]


def torch_lstm_copy(layers, D, H, rng):
    """Build a float64 torch.nn.LSTM holding the given rnnlib layers (written here, not via interop).

    Each rnnlib bias is split at random between torch's b_ih and b_hh so that both are non-zero.
    """
    import torch

    L = len(layers)
    module = torch.nn.LSTM(D, H, num_layers=L, dtype=torch.float64)
    with torch.no_grad():
        for layer, p in enumerate(layers):
            w_hh = np.concatenate([p[f"W_{g}"][:, :H] for g in TORCH_GATE_ORDER], axis=0)  # (4H, H)
            w_ih = np.concatenate([p[f"W_{g}"][:, H:] for g in TORCH_GATE_ORDER], axis=0)  # (4H, D_l)
            b = np.concatenate([p[f"b_{g}"] for g in TORCH_GATE_ORDER])  # (4H,)
            b_ih = rng.standard_normal(4 * H)  # (4H,)
            getattr(module, f"weight_ih_l{layer}").copy_(torch.from_numpy(w_ih))
            getattr(module, f"weight_hh_l{layer}").copy_(torch.from_numpy(w_hh))
            getattr(module, f"bias_ih_l{layer}").copy_(torch.from_numpy(b_ih))
            getattr(module, f"bias_hh_l{layer}").copy_(torch.from_numpy(b - b_ih))
    return module


def torch_lstm_grads(module, H):
    """Gradients of a torch.nn.LSTM's weights, in rnnlib's layout (one dict per layer)."""
    layer_grads = []
    for layer in range(module.num_layers):
        g_ih = getattr(module, f"weight_ih_l{layer}").grad.numpy()
        g_hh = getattr(module, f"weight_hh_l{layer}").grad.numpy()
        gb_ih = getattr(module, f"bias_ih_l{layer}").grad.numpy()
        gb_hh = getattr(module, f"bias_hh_l{layer}").grad.numpy()
        np.testing.assert_allclose(gb_ih, gb_hh, rtol=0, atol=1e-14)
        grads = {}
        for k, g in enumerate(TORCH_GATE_ORDER):
            rows = slice(k * H, (k + 1) * H)
            grads[f"W_{g}"] = np.concatenate([g_hh[rows], g_ih[rows]], axis=1)
            grads[f"b_{g}"] = gb_ih[rows]
        layer_grads.append(grads)
    return layer_grads


@pytest.fixture
def rng():
    """A seeded generator, fresh for every test."""
    return np.random.default_rng(20240611)
