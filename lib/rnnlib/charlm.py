"""A character-level language model: one-hot characters -> stacked LSTM -> softmax over the next character.

    h^(0)_t = onehot(x_t),  h^(l)_t = LSTM_l(...),  p(x_{t+1} | x_1..x_t) = softmax(V h^(L)_t + c)

Training is truncated backpropagation through time with Adam and clipping by global norm; the state is carried
from one window of text to the next. Everything runs on rnnlib's fast stacked LSTM. The model itself (weights,
forward pass, loss and gradients, evaluation, saving) is rnnlib.charmodel; its names are offered here too.
"""

import sys
import time

import numpy as np

from . import memory, optim
from .activations import softmax
from .charmodel import evaluate, forward, init_model, load, loss_and_grads, one_hot, save, sizes, zero_state
from .text import tbptt_batches

__all__ = ["evaluate", "forward", "generate", "init_model", "load", "loss_and_grads", "one_hot", "sample",
           "sample_next", "save", "sizes", "train", "train_step", "zero_state"]


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
