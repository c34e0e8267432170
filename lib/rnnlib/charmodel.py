"""The character-level model itself: its weights, forward pass, loss and gradients, evaluation, saving and loading.

    h^(0)_t = onehot(x_t),  h^(l)_t = LSTM_l(...),  p(x_{t+1} | x_1..x_t) = softmax(V h^(L)_t + c)

Training and sampling, built on it, are in rnnlib.charlm, which offers all of this module's names as well.
"""

from pathlib import Path

import numpy as np

from . import init, output, stacked
from .text import Vocabulary, tbptt_batches


def init_model(K, H, L, rng, dtype=np.float32, forget_bias=1.0):
    """{"layers": L LSTM params dicts (layer 0 reads K one-hot features), "V": (K, H), "c": (K,)}."""
    model = {"layers": init.stacked_lstm_params(K, H, L, rng, dtype, forget_bias)}
    model.update(init.output_params(H, K, rng, dtype))
    return model


def sizes(model):
    """(K, H, L): vocabulary size, hidden size, number of layers."""
    K, H = model["V"].shape
    return K, H, len(model["layers"])


def zero_state(model, N):
    """h and C for N streams, (L, N, H) each, all zero."""
    _, H, L = sizes(model)
    dtype = model["V"].dtype
    return np.zeros((L, N, H), dtype), np.zeros((L, N, H), dtype)


def one_hot(ids, K, dtype):
    """ids (T, N) -> (T, N, K); a one-hot row times W_x.T is a column of W_x."""
    out = np.zeros(ids.shape + (K,), dtype=dtype)
    np.put_along_axis(out, ids[..., None], 1, axis=-1)
    return out


def forward(model, xs, h0, C0):
    """Logits (T, N, K) for character ids xs (T, N), the final states, and the caches for backward."""
    K, _, _ = sizes(model)
    hs, h_n, C_n, lstm_cache = stacked.stacked_lstm_forward(one_hot(xs, K, model["V"].dtype), h0, C0,
                                                            model["layers"])
    logits, out_cache = output.output_forward(hs, model["V"], model["c"])
    return logits, (h_n, C_n), (lstm_cache, out_cache)


def loss_and_grads(model, xs, ys, h0, C0):
    """Mean cross-entropy per character (nats) of predicting ys from xs, its gradients, and the final states."""
    logits, state, (lstm_cache, out_cache) = forward(model, xs, h0, C0)
    loss, dlogits = output.softmax_cross_entropy(logits, ys)
    dhs, out_grads = output.output_backward(dlogits, out_cache)
    _, _, _, layer_grads = stacked.stacked_lstm_backward(dhs, lstm_cache, need_dxs=False)  # inputs are data
    return loss, {"layers": layer_grads, **out_grads}, state


def evaluate(model, ids, N=16, T=100):
    """Mean loss per character over a text, state carried; exp of it is the perplexity.

    A text too short for N streams of T steps is read in fewer, shorter streams.
    """
    if len(ids) < 2:
        raise ValueError(f"ids has {len(ids)} character(s): evaluating needs at least 2 (an input and its next)")
    N = max(1, min(N, (len(ids) - 1) // T))
    T = min(T, (len(ids) - 1) // N)
    h, C = zero_state(model, N)
    total, count = 0.0, 0
    for xs, ys in tbptt_batches(ids, N, T):
        logits, (h, C), _ = forward(model, xs, h, C)
        total += output.softmax_cross_entropy(logits, ys)[0] * ys.size
        count += ys.size
    return total / count


def save(path, model, vocab):
    """An .npz with every weight and the vocabulary (".npz" is added to a path without it, as numpy does)."""
    arrays = {"V": model["V"], "c": model["c"], "chars": np.array(vocab.chars)}
    for l, params in enumerate(model["layers"]):
        arrays.update({f"layer{l}_{k}": v for k, v in params.items()})
    np.savez(path, **arrays)


def load(path):
    """(model, vocab) from a file written by save."""
    path = Path(path)
    if path.suffix != ".npz" and not path.exists():
        path = path.with_name(path.name + ".npz")
    with np.load(path, allow_pickle=False) as f:
        L = 1 + max(int(k[5:k.index("_")]) for k in f.files if k.startswith("layer"))
        layers = [{k.split("_", 1)[1]: f[k] for k in f.files if k.startswith(f"layer{l}_")} for l in range(L)]
        return {"layers": layers, "V": f["V"], "c": f["c"]}, Vocabulary([str(ch) for ch in f["chars"]])
