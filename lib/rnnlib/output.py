"""The output layer o_t = softmax(V s_t + c) and the cross-entropy loss over a sequence.

The loss is the negative log-probability of the target at every step,  L = -sum_t log o_t[y_t],
averaged over the batch, and averaged (time_reduction="mean", the default: a per-token loss, whose exp
is the perplexity) or summed (time_reduction="sum", the textbook L = sum_t L_t) over time.
"""

import numpy as np

from ._checks import Shapes, check_shape
from .activations import softmax


def output_forward(ss, V, c):
    """logits_t = V s_t + c for every step: ss (T, N, H), V (K, H), c (K,) -> logits (T, N, K), cache."""
    dims = Shapes()
    dims.check("V", V, ("K", "H"))
    dims.check("c", c, ("K",))
    dims.check("ss", ss, ("T", "N", "H"))
    return ss @ V.T + c, {"ss": ss, "V": V}


def softmax_output(ss, V, c):
    """o_t = softmax(V s_t + c) for every step: ss (T, N, H) -> os (T, N, K), each row a distribution."""
    logits, _ = output_forward(ss, V, c)
    return softmax(logits)


def output_backward(dlogits, cache):
    """dlogits (T, N, K) -> dss (T, N, H) and grads {"V": (K, H), "c": (K,)}, summed over steps and batch."""
    ss, V = cache["ss"], cache["V"]
    check_shape("dlogits", dlogits, ss.shape[:2] + V.shape[:1], "(T, N, K)")
    K, H = V.shape
    flat = dlogits.reshape(-1, K)
    return dlogits @ V, {"V": flat.T @ ss.reshape(-1, H), "c": flat.sum(axis=0)}


def softmax_cross_entropy(logits, ys, time_reduction="mean"):
    """Cross-entropy of softmax(logits) against integer targets.

    logits: (T, N, K); ys: (T, N) integers in [0, K). Returns the loss (a float) and dlogits (T, N, K).
    The gradient of -log softmax(a)[y] with respect to a is softmax(a) - onehot(y).
    """
    if time_reduction not in ("mean", "sum"):
        raise ValueError(f"time_reduction must be 'mean' or 'sum', got {time_reduction!r}")
    dims = Shapes()
    dims.check("logits", logits, ("T", "N", "K"))
    dims.check("ys", ys, ("T", "N"))
    if not np.issubdtype(ys.dtype, np.integer) or ys.min() < 0 or ys.max() >= dims["K"]:
        raise ValueError(f"ys must hold integer class indices in [0, {dims['K']}), "
                         f"got dtype {ys.dtype} with range [{ys.min()}, {ys.max()}]")
    T, N, _ = logits.shape
    probs = softmax(logits)
    t_idx, n_idx = np.indices((T, N))
    # log-softmax from the shifted logits, so that a confident wrong prediction gives a large finite loss
    shifted = logits - logits.max(axis=-1, keepdims=True)
    with np.errstate(under="ignore"):
        log_p = shifted[t_idx, n_idx, ys] - np.log(np.exp(shifted).sum(axis=-1))
    denom = N * (T if time_reduction == "mean" else 1)
    dlogits = probs
    dlogits[t_idx, n_idx, ys] -= 1
    dlogits /= denom
    return float(-log_p.sum() / denom), dlogits
