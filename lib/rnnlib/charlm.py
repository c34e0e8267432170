"""A character-level language model: one-hot characters -> stacked LSTM -> softmax over the next character.

    h^(0)_t = onehot(x_t),  h^(l)_t = LSTM_l(...),  p(x_{t+1} | x_1..x_t) = softmax(V h^(L)_t + c)

Training is truncated backpropagation through time with Adam and clipping by global norm; the state is carried
from one window of text to the next. Everything runs on rnnlib's fast stacked LSTM.
"""

import sys
import time
from pathlib import Path

import numpy as np

from . import init, memory, optim, output, stacked
from .activations import softmax
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


def train_step(model, optimizer, xs, ys, h0, C0, max_norm):
    """One step of truncated BPTT on a window xs -> ys (T, N): the loss, clipped gradients, one update.

    Returns the loss before the update and the final states h_n, C_n (L, N, H), from which the next window
    of the same streams starts: the state is carried forward, the gradient is not.
    """
    loss, grads, (h_n, C_n) = loss_and_grads(model, xs, ys, h0, C0)
    grads, _ = optim.clip_by_global_norm(grads, max_norm)
    optimizer.step(model, grads)
    return loss, h_n, C_n


def train(model, train_ids, val_ids=None, *, steps, N=32, T=64, lr=2e-3, clip=5.0, eval_every=100, progress=True):
    """Train `model` in place for `steps` windows of T characters in N streams; returns the history.

    history: step and train_loss for every step; val_step and val_loss every `eval_every` steps (and at the end)
    when val_ids is given, from `evaluate` with its own N and T; seconds and chars_per_second of the training
    steps (evaluation excluded).
    """
    memory.keep_freed_memory()  # every step allocates the same temporaries: keep them (see rnnlib.memory)
    adam = optim.Adam(lr=lr)
    history = {"step": [], "train_loss": [], "val_step": [], "val_loss": []}
    batches, (h, C) = tbptt_batches(train_ids, N, T), zero_state(model, N)
    seconds = 0.0
    for step in range(1, steps + 1):
        start = time.perf_counter()
        try:
            xs, ys = next(batches)
        except StopIteration:  # the text is used up: start over, from a fresh state
            batches, (h, C) = tbptt_batches(train_ids, N, T), zero_state(model, N)
            xs, ys = next(batches)
        loss, h, C = train_step(model, adam, xs, ys, h, C, clip)
        seconds += time.perf_counter() - start
        history["step"].append(step)
        history["train_loss"].append(loss)
        if val_ids is not None and (step % eval_every == 0 or step == steps):
            history["val_step"].append(step)
            history["val_loss"].append(evaluate(model, val_ids))
        if progress and (step % max(1, steps // 100) == 0 or step == steps):
            _progress(step, steps, loss, history["val_loss"][-1] if history["val_loss"] else None)
    history["seconds"] = seconds
    history["chars_per_second"] = steps * N * T / seconds if seconds else 0.0
    return history


def _progress(step, steps, loss, val_loss, width=30):
    done = int(width * step / steps)
    val = f"  val {val_loss:.3f}" if val_loss is not None else ""
    end = "\n" if step == steps else ""
    print(f"\r[{'#' * done}{'.' * (width - done)}] {step}/{steps}  loss {loss:.3f}{val}", end=end,
          file=sys.stdout, flush=True)


def sample_next(logits, temperature, rng):
    """One id per row of logits (N, K), drawn from softmax(logits / temperature) with the Generator rng.

    Temperature below 1 sharpens the distribution (safer, more repetitive text), above 1 flattens it.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a np.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    p = softmax(np.asarray(logits, dtype=np.float64) / temperature)
    u = rng.random((p.shape[0], 1))
    # inverse CDF: the first k whose cumulative probability exceeds u (min guards rounding at the top)
    return np.minimum(np.sum(np.cumsum(p, axis=1) <= u, axis=1), p.shape[1] - 1)


def generate(model, prime_ids, n, temperature, rng, sample_next=sample_next):
    """n ids drawn one at a time after reading prime_ids (P,), each fed back as the next input."""
    h, C = zero_state(model, 1)
    logits, (h, C), _ = forward(model, np.asarray(prime_ids).reshape(-1, 1), h, C)  # read the prime
    out = np.empty(n, dtype=np.int64)
    for t in range(n):
        out[t] = sample_next(logits[-1], temperature, rng)[0]  # logits[-1]: (1, K), the last step's
        logits, (h, C), _ = forward(model, out[t:t + 1, None], h, C)
    return out


def sample(model, vocab, prime, length, temperature=1.0, rng=None):
    """`length` characters drawn after reading the text `prime`, from softmax(logits / temperature)."""
    if not prime:
        raise ValueError("prime must hold at least one character")
    return vocab.decode(generate(model, vocab.encode(prime), length, temperature, rng))


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
