"""The judges of property-graded checks: correct samplers pass whatever their method, wrong ones fail, and
training is judged on a loss the judge computes itself."""

import types

import numpy as np
import pytest

from rnncheck.cases import CASES
from rnncheck.check import run_case
from rnncheck.compare import diagnose
from rnncheck.properties import counts_alike, counts_fit
from rnngrade.reference import REFERENCE


def draws(rng, p, R):
    return np.bincount(rng.choice(len(p), size=R, p=p), minlength=len(p))


def test_right_counts_pass_for_every_seed_and_wrong_ones_fail():
    p = np.array([0.5, 0.25, 0.15, 0.07, 0.03])
    assert all(counts_fit(draws(np.random.default_rng(s), p, 2000), p) is None for s in range(300))
    sharper = p**1.25 / np.sum(p**1.25)  # a temperature 20 % too low
    failures = sum(counts_fit(draws(np.random.default_rng(s), sharper, 3000), p) is not None for s in range(50))
    assert failures >= 45
    message = counts_fit(np.array([0, 2000, 0, 0, 0]), p)
    assert "id 1 was drawn 2000 times in 2000 draws" in message and "500.0 ± 19.4" in message


def test_an_impossible_id_fails_and_a_certain_one_passes():
    p = np.array([1.0, 0.0, 0.0])
    assert counts_fit(np.array([100, 0, 0]), p) is None
    assert "id 2 was drawn 1 times" in counts_fit(np.array([99, 0, 1]), p)


def test_two_samples_alike_only_when_their_distribution_is():
    p, q = np.array([0.6, 0.3, 0.1]), np.array([0.3, 0.3, 0.4])
    rng = np.random.default_rng(0)
    assert all(counts_alike(draws(rng, p, 2000), draws(rng, p, 2000)) for _ in range(100))
    assert not any(counts_alike(draws(rng, p, 2000), draws(rng, q, 2000)) for _ in range(20))


def sampler(method):
    """Three correct samplers that draw differently from the same rng."""
    def sample_next(logits, temperature, rng):
        z = logits / temperature
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        if method == "choice":
            return np.array([rng.choice(len(row), p=row) for row in p])
        if method == "gumbel":
            return np.argmax(np.log(np.maximum(p, 1e-300)) + rng.gumbel(size=p.shape), axis=1)
        return np.minimum((np.cumsum(p, axis=1) <= rng.random((len(p), 1))).sum(axis=1), p.shape[1] - 1)
    return sample_next


SAMPLE_SIZES = [{"B": 3, "K": 6, "R": 3000, "temperature": 0.6}, {"B": 2, "K": 4, "R": 3000, "temperature": 1.7},
                {"B": 2, "K": 5, "R": 100, "temperature": 1.0, "scale": 1000.0}]


@pytest.mark.parametrize("method", ["choice", "gumbel", "inverse-cdf"])
@pytest.mark.parametrize("seed", [1, 2])
def test_every_correct_sampler_passes(method, seed):
    fns = types.SimpleNamespace(sample_next=sampler(method))
    for k, size in enumerate(SAMPLE_SIZES):
        expected = run_case(CASES["sample_next"].make, REFERENCE, seed, k, size)
        assert diagnose("sample_next", run_case(CASES["sample_next"].make, fns, seed, k, size), expected) is None


def test_a_sampler_that_ignores_the_temperature_fails():
    fns = types.SimpleNamespace(sample_next=lambda logits, temperature, rng: sampler("choice")(logits, 1.0, rng))
    size = SAMPLE_SIZES[0]
    expected = run_case(CASES["sample_next"].make, REFERENCE, 3, 0, size)
    message = diagnose("sample_next", run_case(CASES["sample_next"].make, fns, 3, 0, size), expected)
    assert "do not follow softmax(logits / temperature)" in message


def test_wrong_ids_are_named():
    fns = types.SimpleNamespace(sample_next=lambda logits, temperature, rng: np.zeros(3))
    out = run_case(CASES["sample_next"].make, fns, 0, 0, SAMPLE_SIZES[0])
    assert out == {"error": "returned ids of shape (3,), expected (9000,)"}
    fns = types.SimpleNamespace(sample_next=lambda logits, temperature, rng: np.full(len(logits), 0.5))
    out = run_case(CASES["sample_next"].make, fns, 0, 0, SAMPLE_SIZES[0])
    assert "not all whole numbers from 0 to 5" in out["error"]


LEARN = {"K": 4, "H": 8, "L": 2, "period": 5, "steps": 40}


def test_training_is_judged_on_the_loss_of_the_published_weights():
    make = CASES["train_step_learns"].make
    expected = run_case(make, REFERENCE, 7, 0, LEARN)
    assert expected["final_loss"] < 0.3 * expected["initial_loss"]
    assert diagnose("train_step_learns", expected, expected) is None

    def no_update(model, optimizer, xs, ys, h0, C0, max_norm):  # reports the right losses, learns nothing
        return REFERENCE.train_step(model, type("Frozen", (), {"step": lambda *a: None})(), xs, ys, h0, C0, max_norm)

    frozen = run_case(make, types.SimpleNamespace(train_step=no_update), 7, 0, LEARN)
    assert "the loss did not fall enough" in diagnose("train_step_learns", frozen, expected)
    claimed = {**frozen, "final_loss": expected["final_loss"], "losses": expected["losses"]}  # forged figures
    assert "the loss did not fall enough" in diagnose("train_step_learns", claimed, expected)
    broken = {**expected, "params": np.full_like(expected["params"], np.nan)}
    assert "NaN" in diagnose("train_step_learns", broken, expected)
