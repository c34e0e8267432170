"""rnnbook.depth (1, 2 and 3 layers on an equal budget), the run the course ships with it, and rnnbook.ngram."""

import math

import numpy as np
import pytest

from rnnbook import depth, ngram
from rnnlib import charmodel, init

SHIPPED = depth.SHIPPED


@pytest.fixture(scope="module")
def shipped():
    return depth.load(SHIPPED)


@pytest.fixture(scope="module")
def data():
    return depth.corpus()


def test_parameter_count_is_that_of_the_model():
    K, H, L = 11, 7, 3
    model = charmodel.init_model(K, H, L, np.random.default_rng(0))
    counted = sum(a.size for p in model["layers"] for a in p.values()) + model["V"].size + model["c"].size
    assert depth.n_params(K, H, L) == counted
    assert sum(a.size for p in init.stacked_lstm_params(K, H, L, np.random.default_rng(0)) for a in p.values()) \
        == counted - K * H - K


def test_configs_have_the_same_hidden_size_or_the_same_parameter_count(data):
    K = data[0].size
    cfgs = depth.configs(K)
    same_h = [c for c in cfgs if "same hidden" in c["designs"]]
    same_p = [c for c in cfgs if "same parameters" in c["designs"]]
    assert sorted(c["L"] for c in same_h) == sorted(c["L"] for c in same_p) == list(depth.DEPTHS)
    assert all(c["H"] == depth.HIDDEN for c in same_h)
    target = depth.n_params(K, depth.HIDDEN, depth.REFERENCE_DEPTH)
    assert all(abs(c["params"] / target - 1) < 0.01 for c in same_p)
    assert len({(c["L"], c["H"]) for c in cfgs}) == len(cfgs) == 2 * len(depth.DEPTHS) - 1  # the reference once


def test_shipped_runs_are_the_experiment(shipped, data):
    K = data[0].size
    info = shipped["info"]
    assert info["settings"] == depth.settings()
    assert list(shipped["eval_step"]) == list(depth.EVAL_STEPS)
    runs = {(int(L), int(H), int(s)) for L, H, s in zip(shipped["L"], shipped["H"], shipped["seed"], strict=True)}
    expected = {(c["L"], c["H"], s) for c in depth.configs(K) for s in depth.SEEDS}
    R, P = len(expected), len(depth.EVAL_STEPS)
    assert runs == expected and len(shipped["L"]) == R
    assert shipped["val_loss"].shape == shipped["train_eval_loss"].shape == (R, P)
    assert shipped["window_loss"].shape == shipped["grad_norm"].shape == (R, depth.STEPS)
    assert all(p == depth.n_params(K, H, L) for p, H, L in zip(shipped["params"], shipped["H"], shipped["L"],
                                                                strict=True))
    assert np.all(np.isfinite(shipped["val_loss"])) and np.all(shipped["seconds"] > 0)
    # every model learned: from about ln K at the start to well below the character frequencies' 3.37
    assert np.all(shipped["window_loss"][:, 0] > np.log(K) - 0.1) and np.all(shipped["val_loss"][:, -1] < 2.5)


def test_a_short_retraining_reproduces_the_shipped_curve(shipped, data):
    """The first 100 steps of one run again: the same numbers up to the rounding of this machine's kernels.

    Float32 rounding differs between CPUs and BLAS kernels, and training amplifies it, so the evaluations
    are compared within 0.002 nats: over these steps, the same run in float64 instead of float32 stays within
    1e-6 of the shipped one, a perturbation larger than a change of kernel. The first window's loss, before any
    update, to 1e-4; the first gradient norms to 0.1 %.
    """
    vocab, train_ids, val_ids, train_eval_ids = data
    L, H, seed, steps = 1, depth.HIDDEN, 0, 100
    run = [i for i in range(len(shipped["L"]))
           if (shipped["L"][i], shipped["H"][i], shipped["seed"][i]) == (L, H, seed)]
    assert len(run) == 1
    hist = depth.train_run(vocab.size, H, L, seed, train_ids, val_ids, train_eval_ids, steps=steps)
    n = len(hist["eval_step"])
    assert list(hist["eval_step"]) == list(shipped["eval_step"][:n]) == [25, 50, 100]
    assert hist["window_loss"][0] == pytest.approx(shipped["window_loss"][run[0], 0], abs=1e-4)
    assert np.allclose(hist["grad_norm"][:5], shipped["grad_norm"][run[0], :5], rtol=1e-3)
    for key in ("val_loss", "train_eval_loss"):
        assert np.allclose(hist[key], shipped[key][run[0], :n], rtol=0, atol=0.002), key


def test_save_and_load_give_back_the_runs(tmp_path):
    runs = [{"L": L, "H": 3, "params": 10 * L, "seed": 0, "designs": ("same hidden",), "seconds": 1.5,
             "eval_step": np.array([1, 2]), "val_loss": np.array([2.0, 1.0 * L]),
             "train_eval_loss": np.array([2.1, 0.9]), "window_loss": np.ones(3, np.float32),
             "grad_norm": np.arange(3, dtype=np.float32), "forget_log_mean": -np.ones((L, 3))} for L in (1, 2)]
    depth.save(tmp_path / "r.npz", runs, {"settings": {"steps": 3}})
    back = depth.load(tmp_path / "r.npz")
    assert back["info"] == {"settings": {"steps": 3}} and back["designs"] == [("same hidden",)] * 2
    assert np.array_equal(back["val_loss"], [[2.0, 1.0], [2.0, 2.0]]) and back["grad_norm"].shape == (2, 3)
    assert list(back["L"]) == [1, 2] and list(back["eval_step"]) == [1, 2]
    assert back["forget_log_mean"].shape == (2, 2, 3) and np.isnan(back["forget_log_mean"][0, 1]).all()


# The n-gram baselines on a tiny text, against probabilities computed by hand.
# Training text "aabab" over the alphabet a, b, c (ids 0, 1, 2; K = 3; "c" never occurs):
#   characters a: 3, b: 2 (5 in all); pairs aa: 1, ab: 2, ba: 1 (so "a" was followed 3 times, "b" once).
TRAIN, K = np.array([0, 0, 1, 0, 1]), 3


def test_add_k_unigram_and_bigram_by_hand():
    table = ngram.counts(TRAIN, K, 2)
    # unigram, k = 1: p(a) = (3 + 1) / (5 + 3), p(b) = 3 / 8, p(c) = 1 / 8
    assert ngram.add_k_probs(table, np.array([0, 1, 2]), K, 1, 1.0) == pytest.approx([4 / 8, 3 / 8, 1 / 8])
    # bigram, k = 0.5, on "abc": p(b | a) = (2 + 0.5) / (3 + 1.5), p(c | b) = (0 + 0.5) / (1 + 1.5)
    probs = ngram.add_k_probs(table, np.array([0, 1, 2]), K, 2, 0.5)
    assert probs == pytest.approx([2.5 / 4.5, 0.5 / 2.5])
    assert ngram.loss(probs) == pytest.approx(-(math.log(2.5 / 4.5) + math.log(0.2)) / 2)
    # a context never seen ("c"): uniform, (0 + k) / (0 + k K)
    assert ngram.add_k_probs(table, np.array([2, 0]), K, 2, 0.5) == pytest.approx([1 / 3])


def test_interpolated_absolute_discounting_by_hand():
    table = ngram.counts(TRAIN, K, 2)
    d = 0.5
    # unigram: (max(count - d, 0) + d * 2 distinct characters * 1/3) / 5
    p_a, p_b, p_c = (2.5 + 1 / 3) / 5, (1.5 + 1 / 3) / 5, (1 / 3) / 5  # 17/30, 11/30, 2/30
    assert ngram.interpolated_probs(table, np.array([0, 1, 2]), K, 1, d) == pytest.approx([p_a, p_b, p_c])
    # bigram on "abc": p(b | a) = (2 - d + d * 2 * p_b) / 3 (a was followed by a and b); p(c | b) = d * 1 * p_c / 1
    assert ngram.interpolated_probs(table, np.array([0, 1, 2]), K, 2, d) == pytest.approx(
        [(1.5 + 2 * d * p_b) / 3, d * p_c])
    # unseen context "c": the unigram's p(a)
    assert ngram.interpolated_probs(table, np.array([2, 0]), K, 2, d) == pytest.approx([p_a])


def test_kneser_ney_by_hand():
    table = ngram.counts(TRAIN, K, 2, continuation=True)
    d = 0.5
    # unigram level counts continuations: a follows a and b (2), b follows only a (1), c nothing; 3 in all
    p_a, p_b, p_c = (1.5 + 1 / 3) / 3, (0.5 + 1 / 3) / 3, (1 / 3) / 3  # 11/18, 5/18, 2/18
    assert ngram.interpolated_probs(table, np.array([0, 1, 2]), K, 1 + 1, d)[0] == pytest.approx(
        (1.5 + 2 * d * p_b) / 3)  # the highest order keeps its counts: 16/27
    assert ngram.interpolated_probs(table, np.array([0, 1, 2]), K, 2, d)[1] == pytest.approx(d * p_c)  # 1/18
    assert ngram.interpolated_probs(table, np.array([2, 0]), K, 2, d) == pytest.approx([p_a])
    assert (p_a, p_b, p_c) == pytest.approx((11 / 18, 5 / 18, 2 / 18))


@pytest.mark.parametrize("continuation", [False, True])
def test_ngram_probabilities_sum_to_one(continuation):
    rng = np.random.default_rng(0)
    train = rng.integers(0, 4, 200)
    n, K4 = 3, 5  # one character of the alphabet never occurs
    table = ngram.counts(train, K4, n, continuation)
    for context in ([0, 1], [3, 3], [4, 4], [4, 0]):  # seen, and never seen
        texts = [np.array(context + [c]) for c in range(K4)]
        assert sum(ngram.interpolated_probs(table, t, K4, n, 0.7)[0] for t in texts) == pytest.approx(1.0)
        assert sum(ngram.add_k_probs(table, t, K4, n, 0.1)[0] for t in texts) == pytest.approx(1.0)


def test_ngram_errors():
    table = ngram.counts(TRAIN, K, 2)
    with pytest.raises(ValueError, match="k must be positive"):
        ngram.add_k_probs(table, np.array([0, 1]), K, 2, 0.0)
    with pytest.raises(ValueError, match="discount"):
        ngram.interpolated_probs(table, np.array([0, 1]), K, 2, 1.0)
    with pytest.raises(ValueError, match="at least n characters"):
        ngram.add_k_probs(table, np.array([0]), K, 2, 0.5)


def test_shipped_run_without_clipping_is_the_same_run_up_to_the_first_clipped_step(shipped):
    """depth_noclip.npz: the one run of the experiment whose gradient went far beyond the threshold, again
    with no clipping. Both runs are the same computation on the same machine until clipping first acts."""
    noclip = depth.load(depth.SHIPPED.parent / "depth_noclip.npz")
    settings = noclip["info"]["settings"]
    assert settings["clip"] == math.inf and settings["only"] == [1, 205] and settings["seeds"] == [1]
    assert {k: v for k, v in settings.items() if k not in ("clip", "only", "seeds")} == \
        {k: v for k, v in depth.settings().items() if k not in ("clip", "seeds")}
    (i,) = [i for i in range(len(shipped["L"]))
            if (shipped["L"][i], shipped["H"][i], shipped["seed"][i]) == (1, 205, 1)]
    clipped = shipped["grad_norm"][i] > depth.CLIP
    first = int(np.argmax(clipped))
    assert clipped.any() and np.all(noclip["grad_norm"][0, :first + 1] == shipped["grad_norm"][i, :first + 1])
    assert not np.array_equal(noclip["window_loss"][0], shipped["window_loss"][i])
