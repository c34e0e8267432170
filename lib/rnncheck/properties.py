"""Judges for checks graded on properties rather than on equal numbers.

Random draws are never compared with a reference's draws: they are tested against the distribution they
should follow, with a threshold so strict (a chance failure about once in three million) that a correct
sampler passes whatever method it uses, while a wrong distribution, over thousands of draws, fails. A
judge gets the student's outputs and the reference run's outputs; the grader computes the latter itself,
so what a judge trusts (probabilities, the training text, the reference's losses) never comes from the
student's kernel.
"""

import numpy as np

Z_LIMIT = 5.0  # a standard normal exceeds 5 with probability 2.9e-7
IMPOSSIBLE = 1e-12  # probabilities below this count as zero


def _z_of_chi2(chi2, df):
    """A chi-square statistic with df degrees of freedom as a standard normal score (Wilson-Hilferty)."""
    return ((chi2 / df) ** (1 / 3) - (1 - 2 / (9 * df))) / np.sqrt(2 / (9 * df))


def counts_fit(counts, p):
    """None if counts (K,) could well be R draws from p (K,); otherwise what is wrong, in words."""
    R = counts.sum()
    impossible = np.flatnonzero((p < IMPOSSIBLE) & (counts > 0))
    if impossible.size:
        k = impossible[0]
        return f"id {k} was drawn {counts[k]:.0f} times although its probability is {p[k]:.2g}"
    live = p >= IMPOSSIBLE
    if live.sum() < 2:
        return None
    expected = R * p[live]
    chi2 = float(np.sum((counts[live] - expected) ** 2 / expected))
    if _z_of_chi2(chi2, live.sum() - 1) <= Z_LIMIT:
        return None
    sd = np.sqrt(R * p * (1 - p))
    k = int(np.argmax(np.where(live, np.abs(counts - R * p) / np.maximum(sd, 1e-300), 0)))
    return (f"id {k} was drawn {counts[k]:.0f} times in {R:.0f} draws, but its probability is {p[k]:.3g}: "
            f"{R * p[k]:.1f} ± {sd[k]:.1f} were expected (counts this far off happen by chance less than once "
            f"in a million times)")


def counts_alike(a, b):
    """Could counts a and b (K,) come from the same distribution? (a two-sample chi-square test)"""
    total = a + b
    live = total > 0
    if live.sum() < 2:
        return True
    Ra, Rb = a.sum(), b.sum()
    ea, eb = total[live] * Ra / (Ra + Rb), total[live] * Rb / (Ra + Rb)
    chi2 = float(np.sum((a[live] - ea) ** 2 / ea + (b[live] - eb) ** 2 / eb))
    return _z_of_chi2(chi2, live.sum() - 1) <= Z_LIMIT


def judge_draws(got, expected):
    """sample_next: reproducible with the same Generator state, and every row's draws fit softmax(logits / T)."""
    if got.get("reproducible") is None or got.get("counts") is None:
        return "the check did not produce its results"
    if got["reproducible"] != 1:
        return ("called twice with Generators in the same state, it drew different ids: draw only with the rng "
                "passed in (rng.random(...), rng.choice(...)), never with np.random's own functions")
    if got.get("input_changed", 0) != 0:
        return ("it changed the logits it was given: sample_next must leave them as they were (z /= temperature "
                "or z -= ... on z = logits changes the caller's array; z = logits / temperature makes a new one)")
    probs, counts = expected["probs"], got["counts"]
    if counts.shape != probs.shape:
        return f"the counts have shape {counts.shape}, expected {probs.shape}"
    for b, (row_counts, row_p) in enumerate(zip(counts, probs, strict=True)):
        if (problem := counts_fit(row_counts, row_p)) is not None:
            return f"the draws do not follow softmax(logits / temperature): in row {b}, {problem}"
    return None


def resembles_draws(got, mistake):
    """Do the student's draws look like the mistake's, row by row?"""
    if got.get("counts") is None or got["counts"].shape != mistake["counts"].shape:
        return False
    if got["reproducible"] != mistake["reproducible"] or got.get("input_changed") != mistake.get("input_changed"):
        return False
    return all(counts_alike(a, b) for a, b in zip(got["counts"], mistake["counts"], strict=True))


def judge_learning(got, expected, evaluate_params):
    """train_step, called repeatedly: the loss on the training text must fall at least half as far as the
    reference's does in the same number of steps. evaluate_params(flat params) -> loss, computed by the caller's
    own (trusted) model code."""
    params, losses = got.get("params"), got.get("losses")
    if params is None or losses is None:
        return "the check did not produce its results"
    if losses.shape != expected["losses"].shape:
        return f"train_step returned losses of shape {losses.shape[1:]}: it must return the loss as one number"
    if params.shape != expected["params"].shape:
        return "train_step changed the number of the model's parameters: update them in place"
    if not (np.all(np.isfinite(params)) and np.all(np.isfinite(losses))):
        return "the parameters or losses became NaN or inf during training"
    start, reference = float(expected["initial_loss"]), float(expected["final_loss"])
    reached = evaluate_params(params)
    needed = start - 0.5 * (start - reference)
    if reached <= needed:
        return None
    return (f"the loss did not fall enough: {losses.size} calls of train_step took the loss on the training text "
            f"from {start:.3f} to {reached:.3f}; correct steps reach {reference:.3f}, and at most {needed:.3f} "
            f"is required")
