"""Character n-gram models: the baselines a character-level language model is measured against.

An n-gram model predicts the character x_t from the n - 1 characters h before it, by counting in a training
text how often each character followed h. Two ways of giving a probability to what was never counted:

- **add-k**: p(c | h) = (count(h c) + k) / (count(h) + k K), K the size of the alphabet; n = 1 is the
  unigram model, the character frequencies (with k added);
- **interpolated absolute discounting**: every count loses d (0 < d < 1) and the mass taken goes to the
  model of one order lower, h' being h without its first character,

      p(c | h) = (max(count(h c) - d, 0) + d u(h) p(c | h')) / count(h),   p(c | h) = p(c | h') if count(h) = 0,

  with u(h) the number of distinct characters seen after h, and below the unigram the uniform 1 / K;
- **interpolated Kneser-Ney** (Kneser and Ney, 1995; Chen and Goodman, 1999): the same, except that every
  order below the highest counts *continuations* instead of occurrences: count(h c) becomes the number of
  distinct characters seen before h c. The lower orders are only asked about contexts the higher ones have
  rarely seen, and there what matters is after how many different contexts a character occurs, not how often.

The loss is the mean of -ln p(x_t | x_{t-n+1} .. x_{t-1}) over t = n - 1, ..., len - 1 of the text scored,
in nats per character, as for the recurrent model.
"""

import numpy as np


def _window_codes(ids, K, m):
    """One integer per window of m consecutive ids: codes[t] = sum_j ids[t + j] K^(m - 1 - j), (len - m + 1,)."""
    ids = np.asarray(ids, dtype=np.int64)
    if K ** m >= 2**63:
        raise ValueError(f"K^m = {K}^{m} does not fit in int64: n-grams of {m} characters are too long")
    codes = np.zeros(len(ids) - m + 1, dtype=np.int64)
    for j in range(m):
        codes = codes * K + ids[j:len(ids) - m + 1 + j]
    return codes


def _lookup(keys, values, queries):
    """values[keys == q] for every query q (keys sorted and unique), 0 where q is not among the keys."""
    idx = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    return np.where(keys[idx] == queries, values[idx], 0)


def _level(hc, hc_count, K):
    """One order's table from the sorted (m + 1)-gram codes hc and their counts."""
    h, first, h_types = np.unique(hc // K, return_index=True, return_counts=True)
    return {"hc": hc, "hc_count": hc_count, "h": h, "h_count": np.add.reduceat(hc_count, first), "h_types": h_types}


def levels(train_ids, K, n_max):
    """(occurrences, continuations): the tables of every order a model of order up to n_max can use.

    occurrences[m], m < n_max, counts how often each (m + 1)-gram h c occurs; continuations[m], m < n_max - 1,
    counts after how many distinct characters it occurs. Each is a dict: hc (sorted codes of the (m + 1)-grams
    seen) and hc_count; h (sorted codes of the contexts of m characters that something followed), h_count (the
    sum of hc_count over what followed) and h_types (after how many distinct characters).
    """
    occurrences = [_level(*np.unique(_window_codes(train_ids, K, m + 1), return_counts=True), K)
                   for m in range(n_max)]
    continuations = []
    for m in range(n_max - 1):  # the distinct (m + 2)-grams a h c, counted by their last m + 1 characters
        longer = np.unique(_window_codes(train_ids, K, m + 2))
        continuations.append(_level(*np.unique(longer % K ** (m + 1), return_counts=True), K))
    return occurrences, continuations


def table(occurrences, continuations, n, continuation=False):
    """The table of a model of order n: the occurrences at its highest order; below it the occurrences, or
    with continuation=True (Kneser-Ney) the continuations."""
    return (continuations if continuation else occurrences)[:n - 1] + [occurrences[n - 1]]


def counts(train_ids, K, n, continuation=False):
    """The table of a model of order n on a training text (levels, then table)."""
    return table(*levels(train_ids, K, n), n, continuation)


def _eval_counts(table, ids, K, m, n):
    """count(h c), count(h), u(h) for the m characters h before each target x_t, t = n - 1 .. len - 1."""
    hc = _window_codes(ids, K, m + 1)[n - 1 - m:]  # the window ending at t
    level = table[m]
    h = hc // K
    return (_lookup(level["hc"], level["hc_count"], hc), _lookup(level["h"], level["h_count"], h),
            _lookup(level["h"], level["h_types"], h))


def _check(ids, n):
    if n < 1 or len(ids) < n:
        raise ValueError(f"need n >= 1 and a text of at least n characters, got n={n} and {len(ids)} characters")


def add_k_probs(table, ids, K, n, k):
    """p(x_t | h) of the add-k model of order n for t = n - 1 .. len(ids) - 1, (len(ids) - n + 1,)."""
    _check(ids, n)
    if not k > 0:
        raise ValueError(f"k must be positive (a character never counted after its context would get p = 0), got {k}")
    c_hc, c_h, _ = _eval_counts(table, ids, K, n - 1, n)
    return (c_hc + k) / (c_h + k * K)


def interpolated_probs(table, ids, K, n, d):
    """p(x_t | h) of interpolated absolute discounting of order n for t = n - 1 .. len(ids) - 1.

    With a table of continuation counts (continuation=True) this is interpolated Kneser-Ney.
    """
    _check(ids, n)
    if not 0 < d < 1:
        raise ValueError(f"the discount d must be between 0 and 1, got {d}")
    p = np.full(len(ids) - n + 1, 1.0 / K)
    for m in range(n):  # from the unigram up: each order mixes its discounted counts with the order below
        c_hc, c_h, types = _eval_counts(table, ids, K, m, n)
        mixed = (np.maximum(c_hc - d, 0) + d * types * p) / np.maximum(c_h, 1)
        p = np.where(c_h > 0, mixed, p)
    return p


def loss(probs):
    """Mean -ln p over the targets: nats per character."""
    return float(-np.mean(np.log(probs)))
