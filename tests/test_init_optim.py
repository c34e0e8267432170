"""rnnlib.init (parameter initialisation) and rnnlib.optim (SGD, Adam, gradient clipping)."""

import math

import numpy as np
import pytest
import torch
from conftest import LSTM_KEYS

from rnnlib.init import lstm_params, output_params, rnn_params, stacked_lstm_params
from rnnlib.optim import SGD, Adam, clip_by_global_norm, global_norm

# ---------------------------------------------------------------- init


def expected_shapes(kind, D, H, L=None, K=None):
    if kind == "rnn":
        return {"U": (H, D), "W": (H, H), "b": (H,)}
    if kind == "lstm":
        return {**{f"W_{g}": (H, H + D) for g in "fiCo"}, **{f"b_{g}": (H,) for g in "fiCo"}}
    if kind == "output":
        return {"V": (K, H), "c": (K,)}
    raise AssertionError(kind)


INITS = {
    "rnn": lambda D, H, rng, **kw: rnn_params(D, H, rng, **kw),
    "lstm": lambda D, H, rng, **kw: lstm_params(D, H, rng, **kw),
    "stacked": lambda D, H, rng, **kw: stacked_lstm_params(D, H, 3, rng, **kw),
    "output": lambda D, H, rng, **kw: output_params(H, D, rng, **kw),  # K = D here
}


def leaves(tree):
    if isinstance(tree, list):
        return [v for p in tree for v in p.values()]
    return list(tree.values())


@pytest.mark.parametrize(("D", "H"), [(3, 4), (5, 2), (1, 1)])
def test_rnn_params_shapes(rng, D, H):
    p = rnn_params(D, H, rng)
    assert {k: v.shape for k, v in p.items()} == expected_shapes("rnn", D, H)
    assert all(v.dtype == np.float64 for v in p.values())


@pytest.mark.parametrize(("D", "H"), [(3, 4), (5, 2), (1, 1)])
def test_lstm_params_shapes(rng, D, H):
    p = lstm_params(D, H, rng)
    assert set(p) == set(LSTM_KEYS)
    assert {k: v.shape for k, v in p.items()} == expected_shapes("lstm", D, H)
    assert all(v.dtype == np.float64 for v in p.values())


@pytest.mark.parametrize("L", [1, 2, 3])
def test_stacked_lstm_params_shapes(rng, L):
    D, H = 3, 5
    layers = stacked_lstm_params(D, H, L, rng)
    assert isinstance(layers, list) and len(layers) == L
    for layer, p in enumerate(layers):
        D_l = D if layer == 0 else H
        assert {k: v.shape for k, v in p.items()} == expected_shapes("lstm", D_l, H)
    for a in range(L):  # every layer draws its own values
        for b in range(a + 1, L):
            assert not np.array_equal(layers[a]["b_f"], layers[b]["b_f"])
            assert not np.array_equal(layers[a]["W_o"][:, :H], layers[b]["W_o"][:, :H])


@pytest.mark.parametrize(("H", "K"), [(4, 7), (3, 2)])
def test_output_params_shapes(rng, H, K):
    p = output_params(H, K, rng)
    assert {k: v.shape for k, v in p.items()} == expected_shapes("output", None, H, K=K)


@pytest.mark.parametrize("kind", sorted(INITS))
def test_dtype_argument(kind):
    tree = INITS[kind](3, 4, np.random.default_rng(0), dtype=np.float32)
    assert all(v.dtype == np.float32 for v in leaves(tree))


@pytest.mark.parametrize("kind", sorted(INITS))
def test_same_seed_same_params_different_seed_different(kind):
    a = INITS[kind](3, 4, np.random.default_rng(7))
    b = INITS[kind](3, 4, np.random.default_rng(7))
    c = INITS[kind](3, 4, np.random.default_rng(8))
    for x, y in zip(leaves(a), leaves(b), strict=True):
        np.testing.assert_array_equal(x, y)
    assert any(not np.array_equal(x, y) for x, y in zip(leaves(a), leaves(c), strict=True))


@pytest.mark.parametrize("kind", sorted(INITS))
@pytest.mark.parametrize("bad_rng", [0, None, np.random.RandomState(0), "seed"])
def test_rng_must_be_a_generator(kind, bad_rng):
    with pytest.raises(TypeError):
        INITS[kind](3, 4, bad_rng)


@pytest.mark.parametrize("kind", sorted(INITS))
def test_values_uniform_in_bound(kind):
    D, H = 40, 64
    bound = 1.0 / math.sqrt(H)
    tree = INITS[kind](D, H, np.random.default_rng(1))
    for v in leaves(tree):
        assert np.all(np.abs(v) <= bound), float(np.max(np.abs(v)))
        assert np.unique(v).size > v.size // 2  # random, not constant
    weights = np.concatenate([v.ravel() for v in leaves(tree) if v.ndim == 2])
    # U(-a, a): mean 0, standard deviation a / sqrt(3), extremes close to +-a.
    assert abs(weights.mean()) < 0.05 * bound
    assert weights.std() == pytest.approx(bound / math.sqrt(3.0), rel=0.05)
    assert weights.max() > 0.95 * bound and weights.min() < -0.95 * bound


@pytest.mark.parametrize("forget_bias", [1.0, 2.5, -0.5])
def test_forget_bias_offset(forget_bias):
    D, H = 5, 64
    bound = 1.0 / math.sqrt(H)
    p = lstm_params(D, H, np.random.default_rng(3), forget_bias=forget_bias)
    assert np.all(np.abs(p["b_f"] - forget_bias) <= bound + 1e-15)
    assert p["b_f"].mean() == pytest.approx(forget_bias, abs=0.5 * bound)
    for k in ("b_i", "b_C", "b_o", "W_f", "W_i", "W_C", "W_o"):
        assert np.all(np.abs(p[k]) <= bound), k


def test_forget_bias_default_is_zero():
    D, H = 5, 64
    p = lstm_params(D, H, np.random.default_rng(3))
    assert np.all(np.abs(p["b_f"]) <= 1.0 / math.sqrt(H))
    assert abs(p["b_f"].mean()) < 0.5 / math.sqrt(H)


# ---------------------------------------------------------------- SGD


def random_tree(rng, structure):
    if structure == "dict":
        return {"W": rng.standard_normal((3, 4)), "b": rng.standard_normal(3)}
    return [{"W": rng.standard_normal((3, 4)), "b": rng.standard_normal(3)},
            {"W": rng.standard_normal((2, 3)), "b": rng.standard_normal(2)}]


def tree_like(rng, tree):
    if isinstance(tree, list):
        return [{k: rng.standard_normal(v.shape) for k, v in p.items()} for p in tree]
    return {k: rng.standard_normal(v.shape) for k, v in tree.items()}


@pytest.mark.parametrize("structure", ["dict", "list"])
@pytest.mark.parametrize("lr", [0.1, 0.01])
def test_sgd_formula_in_place(rng, structure, lr):
    params = random_tree(rng, structure)
    opt = SGD(lr)
    ids = [id(v) for v in leaves(params)]
    for _ in range(3):
        grads = tree_like(rng, params)
        expected = [p - lr * g for p, g in zip(leaves(params), leaves(grads), strict=True)]
        grads_before = [g.copy() for g in leaves(grads)]
        opt.step(params, grads)
        assert [id(v) for v in leaves(params)] == ids  # the same arrays, updated in place
        for p, e in zip(leaves(params), expected, strict=True):
            np.testing.assert_allclose(p, e, rtol=1e-15, atol=1e-15)
        for g, gb in zip(leaves(grads), grads_before, strict=True):
            np.testing.assert_array_equal(g, gb)


def test_sgd_updates_views_in_place(rng):
    big = rng.standard_normal(6)
    params = {"a": big[:3], "b": big[3:]}  # views of one buffer
    before = big.copy()
    SGD(0.5).step(params, {"a": np.ones(3), "b": np.full(3, 2.0)})
    np.testing.assert_allclose(big, before - 0.5 * np.array([1, 1, 1, 2, 2, 2.0]), rtol=1e-15)


def test_sgd_keeps_float32(rng):
    params = {"W": rng.standard_normal((2, 3)).astype(np.float32)}
    SGD(0.1).step(params, {"W": np.ones((2, 3), np.float32)})
    assert params["W"].dtype == np.float32


# ---------------------------------------------------------------- Adam


@pytest.mark.parametrize("structure", ["dict", "list"])
@pytest.mark.parametrize(
    "hyper",
    [
        {},
        {"lr": 0.05, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6},
        {"lr": 0.01, "beta1": 0.5, "beta2": 0.9, "eps": 0.1},  # a large eps shows where it is added
    ],
)
def test_adam_matches_torch(rng, structure, hyper):
    params = random_tree(rng, structure)
    torch_params = [torch.tensor(v.copy(), dtype=torch.float64, requires_grad=True) for v in leaves(params)]
    kw = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, **hyper}
    opt = Adam(**hyper)
    ref = torch.optim.Adam(torch_params, lr=kw["lr"], betas=(kw["beta1"], kw["beta2"]), eps=kw["eps"])
    ids = [id(v) for v in leaves(params)]
    for step in range(6):
        grads = tree_like(rng, params)
        if step == 3:  # a zero gradient for one parameter
            leaves(grads)[0][...] = 0.0
        opt.step(params, grads)
        for tp, g in zip(torch_params, leaves(grads), strict=True):
            tp.grad = torch.from_numpy(g.copy())
        ref.step()
        assert [id(v) for v in leaves(params)] == ids
        for p, tp in zip(leaves(params), torch_params, strict=True):
            np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-12, atol=1e-13, err_msg=f"step {step}")


def test_adam_first_step_is_lr_times_sign(rng):
    """After one step, m_hat / sqrt(v_hat) = g / |g|, so each entry moves by lr (up to eps)."""
    params = {"w": rng.standard_normal(5)}
    before = params["w"].copy()
    g = np.array([3.0, -0.5, 2e-3, -40.0, 1.0])
    Adam(lr=0.01).step(params, {"w": g})
    np.testing.assert_allclose(params["w"], before - 0.01 * np.sign(g), rtol=0, atol=1e-7)


def test_adam_minimises_a_quadratic(rng):
    A = rng.standard_normal((6, 4))
    y = rng.standard_normal(6)
    target = np.linalg.lstsq(A, y, rcond=None)[0]
    params = {"w": np.zeros(4)}
    opt = Adam(lr=0.05)

    def loss(w):
        return 0.5 * np.sum((A @ w - y) ** 2)

    start = loss(params["w"])
    for _ in range(3000):
        opt.step(params, {"w": A.T @ (A @ params["w"] - y)})
    assert loss(params["w"]) - loss(target) < 1e-6 * start
    np.testing.assert_allclose(params["w"], target, atol=1e-3)


def test_adam_keeps_float32(rng):
    params = {"W": rng.standard_normal((2, 3)).astype(np.float32)}
    opt = Adam(lr=0.1)
    for _ in range(3):
        opt.step(params, {"W": rng.standard_normal((2, 3)).astype(np.float32)})
    assert params["W"].dtype == np.float32


# ---------------------------------------------------------------- global norm and clipping


def test_global_norm_hand_values():
    assert global_norm({"a": np.array([3.0]), "b": np.array([[4.0]])}) == pytest.approx(5.0, rel=1e-15)
    tree = [{"a": np.array([1.0, 2.0])}, {"b": np.array([2.0]), "c": np.zeros((2, 2))}]
    assert global_norm(tree) == pytest.approx(3.0, rel=1e-15)


def test_global_norm_random(rng):
    tree = random_tree(rng, "list")
    expected = math.sqrt(sum(float(np.sum(v**2)) for v in leaves(tree)))
    assert global_norm(tree) == pytest.approx(expected, rel=1e-13)


def test_clip_scales_when_norm_above_max():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    before = {k: v.copy() for k, v in grads.items()}
    clipped, norm = clip_by_global_norm(grads, 1.0)
    assert float(norm) == pytest.approx(5.0, rel=1e-15)
    np.testing.assert_allclose(clipped["a"], [0.6, 0.0], rtol=1e-15)
    np.testing.assert_allclose(clipped["b"], [[0.8]], rtol=1e-15)
    assert set(clipped) == set(grads)
    for k in grads:
        np.testing.assert_array_equal(grads[k], before[k])  # inputs untouched


@pytest.mark.parametrize("max_norm", [5.0, 10.0])
def test_clip_leaves_small_gradients_alone(max_norm):
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    clipped, norm = clip_by_global_norm(grads, max_norm)
    assert float(norm) == pytest.approx(5.0, rel=1e-15)
    for k in grads:
        np.testing.assert_array_equal(clipped[k], grads[k])
    clipped["a"][0] = 100.0  # a new tree: writing to it does not reach the input
    assert grads["a"][0] == 3.0


def test_clip_list_of_dicts(rng):
    grads = [{k: 10 * v for k, v in p.items()} for p in random_tree(rng, "list")]
    before = [{k: v.copy() for k, v in p.items()} for p in grads]
    clipped, norm = clip_by_global_norm(grads, 2.0)
    assert isinstance(clipped, list) and len(clipped) == len(grads)
    assert float(norm) == pytest.approx(global_norm(before), rel=1e-14)
    assert global_norm(clipped) == pytest.approx(2.0, rel=1e-12)
    scale = 2.0 / float(norm)
    for c, g, b in zip(clipped, grads, before, strict=True):
        assert set(c) == set(g)
        for k in g:
            np.testing.assert_allclose(c[k], scale * b[k], rtol=1e-14)
            np.testing.assert_array_equal(g[k], b[k])
            assert not np.shares_memory(c[k], g[k])
