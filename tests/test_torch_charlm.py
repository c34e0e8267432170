"""rnnbook.torch_charlm: the torch copy of the character-level model computes and learns what rnnlib.charlm does."""

import numpy as np
import pytest
import torch

from rnnbook.torch_charlm import TorchCharLM, evaluate_torch, train_torch
from rnnlib import charlm, interop, text

K, H, L, N, T = 7, 5, 2, 3, 4


@pytest.fixture
def model(rng):
    return charlm.init_model(K, H, L, rng, dtype=np.float64)


def ids_for(rng, windows):
    """Random character ids with exactly `windows` windows of tbptt_batches(ids, N, T)."""
    return rng.integers(0, K, size=N * T * windows + 1)


def torch_as_model(torch_model):
    """The torch model's weights in rnnlib's layout."""
    return {"layers": interop.lstm_from_torch(torch_model.lstm),
            "V": torch_model.out.weight.detach().numpy().copy(), "c": torch_model.out.bias.detach().numpy().copy()}


def assert_models_close(a, b, **tol):
    np.testing.assert_allclose(a["V"], b["V"], **tol)
    np.testing.assert_allclose(a["c"], b["c"], **tol)
    for la, lb in zip(a["layers"], b["layers"], strict=True):
        assert set(la) == set(lb)
        for k in la:
            np.testing.assert_allclose(la[k], lb[k], err_msg=k, **tol)


def test_same_loss_and_state(rng, model):
    xs, ys = next(text.tbptt_batches(ids_for(rng, 1), N, T))
    h0, C0 = (rng.standard_normal((L, N, H)) for _ in range(2))
    loss, _, (h_n, C_n) = charlm.loss_and_grads(model, xs, ys, h0, C0)

    torch_model = TorchCharLM.from_model(model)
    assert torch_model.out.weight.dtype == torch.float64
    with torch.no_grad():
        t_loss, (t_h, t_C) = torch_model.loss(torch.from_numpy(xs), torch.from_numpy(ys),
                                              (torch.from_numpy(h0), torch.from_numpy(C0)))
    assert abs(t_loss.item() - loss) < 1e-10
    np.testing.assert_allclose(t_h.numpy(), h_n, rtol=0, atol=1e-10)
    np.testing.assert_allclose(t_C.numpy(), C_n, rtol=0, atol=1e-10)


@pytest.mark.parametrize("size", [500, 300])  # 300 characters: too few for evaluate's default 16 streams of 100
def test_same_evaluation(rng, model, size):
    ids = rng.integers(0, K, size=size)
    torch_model = TorchCharLM.from_model(model)
    assert abs(evaluate_torch(torch_model, ids, N, T) - charlm.evaluate(model, ids, N, T)) < 1e-10
    assert abs(evaluate_torch(torch_model, ids) - charlm.evaluate(model, ids)) < 1e-10


@pytest.mark.parametrize("steps", [1, 5])  # 5 steps over 2 windows: the batches start over twice
def test_same_training(rng, model, steps):
    train_ids, val_ids = ids_for(rng, 2), rng.integers(0, K, size=400)
    torch_model = TorchCharLM.from_model(model)
    # clip=0.5 is below the gradients' norm, so clipping is exercised too
    kwargs = dict(steps=steps, N=N, T=T, lr=1e-3, clip=0.5, eval_every=2, progress=False)
    ours = charlm.train(model, train_ids, val_ids, **kwargs)
    theirs = train_torch(torch_model, train_ids, val_ids, **kwargs)

    assert theirs["step"] == ours["step"] and theirs["val_step"] == ours["val_step"]
    np.testing.assert_allclose(theirs["train_loss"], ours["train_loss"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(theirs["val_loss"], ours["val_loss"], rtol=0, atol=1e-10)
    assert theirs["chars_per_second"] > 0
    assert_models_close(torch_as_model(torch_model), model, rtol=1e-9, atol=1e-12)
