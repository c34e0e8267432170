"""rnnlib.interop: converting parameters to and from torch.nn.RNN / torch.nn.LSTM."""

import numpy as np
import pytest
import torch
from conftest import LSTM_KEYS, TORCH_GATE_ORDER, random_rnn_params, random_stacked_params

from rnnlib.interop import lstm_from_torch, lstm_to_torch, rnn_from_torch, rnn_to_torch
from rnnlib.rnn import rnn_forward
from rnnlib.stacked import stacked_lstm_forward

TOL = dict(rtol=1e-10, atol=1e-10)


def make_rnn(D, H, seed, dtype=torch.float64):
    torch.manual_seed(seed)
    return torch.nn.RNN(D, H, nonlinearity="tanh", dtype=dtype)


def make_lstm(D, H, L, seed, dtype=torch.float64):
    torch.manual_seed(seed)
    return torch.nn.LSTM(D, H, num_layers=L, dtype=dtype)


def as_numpy(t):
    return t.detach().numpy().copy()


# ---------------------------------------------------------------- RNN


@pytest.mark.parametrize(("N", "T", "D", "H"), [(3, 5, 4, 6), (1, 1, 2, 3)])
def test_rnn_from_torch_layout_and_forward(rng, N, T, D, H):
    module = make_rnn(D, H, seed=0)
    params = rnn_from_torch(module)
    assert set(params) == {"U", "W", "b"}
    for v in params.values():
        assert isinstance(v, np.ndarray) and v.dtype == np.float64
    np.testing.assert_array_equal(params["U"], as_numpy(module.weight_ih_l0))
    np.testing.assert_array_equal(params["W"], as_numpy(module.weight_hh_l0))
    np.testing.assert_allclose(params["b"], as_numpy(module.bias_ih_l0) + as_numpy(module.bias_hh_l0),
                               rtol=1e-15, atol=1e-16)

    xs = rng.standard_normal((T, N, D))
    s0 = rng.standard_normal((N, H))
    ss, _ = rnn_forward(xs, s0, params)
    with torch.no_grad():
        out, h_n = module(torch.from_numpy(xs), torch.from_numpy(s0[None].copy()))
    np.testing.assert_allclose(ss, out.numpy(), **TOL)
    np.testing.assert_allclose(ss[-1], h_n.numpy()[0], **TOL)


@pytest.mark.parametrize(("N", "T", "D", "H"), [(3, 5, 4, 6), (2, 1, 3, 1)])
def test_rnn_to_torch_forward(rng, N, T, D, H):
    params = random_rnn_params(rng, D, H)
    module = rnn_to_torch(params)
    assert isinstance(module, torch.nn.RNN)
    assert module.input_size == D and module.hidden_size == H
    assert module.num_layers == 1 and not module.bidirectional and module.nonlinearity == "tanh"
    assert module.weight_ih_l0.dtype == torch.float64

    xs = rng.standard_normal((T, N, D))
    s0 = rng.standard_normal((N, H))
    ss, _ = rnn_forward(xs, s0, params)
    with torch.no_grad():
        out, _ = module(torch.from_numpy(xs), torch.from_numpy(s0[None].copy()))
    np.testing.assert_allclose(ss, out.numpy(), **TOL)


def test_rnn_round_trips(rng):
    params = random_rnn_params(rng, 3, 4)
    back = rnn_from_torch(rnn_to_torch(params))
    for k in params:
        np.testing.assert_allclose(back[k], params[k], rtol=1e-15, atol=1e-15)

    module = make_rnn(3, 4, seed=1)
    module2 = rnn_to_torch(rnn_from_torch(module))
    x = torch.from_numpy(rng.standard_normal((5, 2, 3)))
    with torch.no_grad():
        np.testing.assert_allclose(module2(x)[0].numpy(), module(x)[0].numpy(), **TOL)


def test_rnn_conversion_copies(rng):
    module = make_rnn(3, 4, seed=2)
    before = as_numpy(module.weight_hh_l0)
    params = rnn_from_torch(module)
    params["W"] += 1.0
    params["U"][...] = 0.0
    np.testing.assert_array_equal(as_numpy(module.weight_hh_l0), before)

    params = random_rnn_params(rng, 3, 4)
    saved = params["W"].copy()
    module = rnn_to_torch(params)
    with torch.no_grad():
        module.weight_hh_l0.add_(1.0)
    np.testing.assert_array_equal(params["W"], saved)


def test_rnn_float32_kept():
    params = rnn_from_torch(make_rnn(3, 4, seed=3, dtype=torch.float32))
    assert all(v.dtype == np.float32 for v in params.values())


@pytest.mark.parametrize(
    "make",
    [
        lambda: torch.nn.RNN(3, 4, nonlinearity="relu"),
        lambda: torch.nn.RNN(3, 4, num_layers=2),
        lambda: torch.nn.RNN(3, 4, bidirectional=True),
    ],
    ids=["relu", "two_layers", "bidirectional"],
)
def test_rnn_from_torch_rejects_unsupported(make):
    with pytest.raises(ValueError):
        rnn_from_torch(make())


# ---------------------------------------------------------------- LSTM


@pytest.mark.parametrize("L", [1, 2, 3])
def test_lstm_from_torch_layout(L):
    D, H = 4, 3
    module = make_lstm(D, H, L, seed=L)
    layers = lstm_from_torch(module)
    assert isinstance(layers, list) and len(layers) == L
    for layer, p in enumerate(layers):
        assert set(p) == set(LSTM_KEYS)
        D_l = D if layer == 0 else H
        w_ih = as_numpy(getattr(module, f"weight_ih_l{layer}"))  # (4H, D_l), rows i, f, g, o
        w_hh = as_numpy(getattr(module, f"weight_hh_l{layer}"))  # (4H, H)
        b = as_numpy(getattr(module, f"bias_ih_l{layer}")) + as_numpy(getattr(module, f"bias_hh_l{layer}"))
        for k, g in enumerate(TORCH_GATE_ORDER):
            rows = slice(k * H, (k + 1) * H)
            assert p[f"W_{g}"].shape == (H, H + D_l)
            assert p[f"W_{g}"].dtype == np.float64
            # z = [h, x]: the recurrent block comes first.
            np.testing.assert_array_equal(p[f"W_{g}"][:, :H], w_hh[rows], err_msg=f"layer {layer} W_{g}")
            np.testing.assert_array_equal(p[f"W_{g}"][:, H:], w_ih[rows], err_msg=f"layer {layer} W_{g}")
            np.testing.assert_allclose(p[f"b_{g}"], b[rows], rtol=1e-15, atol=1e-16)


def assert_same_forward(rng, module, layers, N, T, D, H, L):
    """rnnlib's stacked LSTM with `layers` and the torch module give the same outputs and final states."""
    xs = rng.standard_normal((T, N, D))
    h0 = rng.standard_normal((L, N, H))
    C0 = rng.standard_normal((L, N, H))
    hs, h_n, C_n, _ = stacked_lstm_forward(xs, h0, C0, layers)
    with torch.no_grad():
        out, (h_n_t, c_n_t) = module(torch.from_numpy(xs), (torch.from_numpy(h0), torch.from_numpy(C0)))
    np.testing.assert_allclose(hs, out.numpy(), **TOL)
    np.testing.assert_allclose(h_n, h_n_t.numpy(), **TOL)
    np.testing.assert_allclose(C_n, c_n_t.numpy(), **TOL)


@pytest.mark.parametrize("L", [1, 2, 3])
@pytest.mark.parametrize(("N", "T", "D", "H"), [(3, 5, 4, 6), (1, 1, 2, 3), (2, 3, 5, 4)])
def test_lstm_from_torch_forward(rng, L, N, T, D, H):
    module = make_lstm(D, H, L, seed=10 + L)
    layers = lstm_from_torch(module)
    assert_same_forward(rng, module, layers, N, T, D, H, L)


@pytest.mark.parametrize("L", [1, 2, 3])
def test_lstm_to_torch_forward(rng, L):
    N, T, D, H = 3, 4, 2, 5
    layers = random_stacked_params(rng, D, H, L)
    module = lstm_to_torch(layers)
    assert isinstance(module, torch.nn.LSTM)
    assert (module.input_size, module.hidden_size, module.num_layers) == (D, H, L)
    assert not module.bidirectional and module.proj_size == 0
    assert module.weight_ih_l0.dtype == torch.float64
    assert_same_forward(rng, module, layers, N, T, D, H, L)


@pytest.mark.parametrize("L", [1, 3])
def test_lstm_round_trips(rng, L):
    layers = random_stacked_params(rng, 3, 4, L)
    back = lstm_from_torch(lstm_to_torch(layers))
    assert len(back) == L
    for p, q in zip(layers, back, strict=True):
        for k in LSTM_KEYS:
            np.testing.assert_allclose(q[k], p[k], rtol=1e-15, atol=1e-15, err_msg=k)

    module = make_lstm(3, 4, L, seed=20)
    module2 = lstm_to_torch(lstm_from_torch(module))
    x = torch.from_numpy(rng.standard_normal((5, 2, 3)))
    with torch.no_grad():
        np.testing.assert_allclose(module2(x)[0].numpy(), module(x)[0].numpy(), **TOL)


def test_lstm_conversion_copies(rng):
    module = make_lstm(3, 4, 2, seed=4)
    before = as_numpy(module.weight_hh_l1)
    layers = lstm_from_torch(module)
    for p in layers:
        for v in p.values():
            v += 1.0
    np.testing.assert_array_equal(as_numpy(module.weight_hh_l1), before)


def test_lstm_float32_kept():
    layers = lstm_from_torch(make_lstm(3, 4, 2, seed=5, dtype=torch.float32))
    assert all(v.dtype == np.float32 for p in layers for v in p.values())


@pytest.mark.parametrize(
    "make",
    [
        lambda: torch.nn.LSTM(3, 4, bidirectional=True),
        lambda: torch.nn.LSTM(3, 4, proj_size=2),
        lambda: torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True),
    ],
    ids=["bidirectional", "proj_size", "two_layers_bidirectional"],
)
def test_lstm_from_torch_rejects_unsupported(make):
    with pytest.raises(ValueError):
        lstm_from_torch(make())
