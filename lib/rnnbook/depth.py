"""What depth buys: the character model of rnnlib with 1, 2 and 3 LSTM layers, trained with an equal budget.

The chapter on stacked networks analyses the run this module defines, and tools/train_depth.py trains it and
writes it to data/depth_runs.npz in this package, so both use the same code and the same settings.

Two designs, three depths each:

- **same hidden size**: H = HIDDEN in every layer, so each layer added brings more parameters;
- **same parameter count**: H chosen for each depth so that the whole model (LSTM layers and output layer)
  has as many parameters as the two-layer model of the first design, within one per cent.

Every run has the same budget: STEPS windows of T characters in N streams, read in the same order
(rnnlib.text.tbptt_batches over the training text, the state carried), with Adam and clipping by global norm
at chapter 11's settings. A seed draws only the initial weights. At each step in EVAL_STEPS the model is
measured on the validation text and on a stretch of the training text of the same length, with
rnnlib.charmodel.evaluate, so that the two losses, and their gap, are measured alike. At the end, the forget
gates of every layer are read on a stretch of validation text (forget_log_means): the time scale of each cell.
"""

import json
import os
import platform
import time
from importlib.resources import files

import numpy as np

from rnnlib import charmodel, fused, memory, optim, text

SHIPPED = files("rnnbook") / "data" / "depth_runs.npz"  # the run the course ships, written by tools/train_depth.py
HIDDEN = 128  # the hidden size of the first design, and of the two-layer model both designs share
DEPTHS = (1, 2, 3)
REFERENCE_DEPTH = 2  # the second design matches the parameter count of (REFERENCE_DEPTH, HIDDEN)
SEEDS = (0, 1, 2)
STEPS, N, T = 2000, 32, 64  # the budget: windows, streams per window, characters per stream
LR, CLIP = 2e-3, 5.0  # Adam's learning rate and the clipping threshold of the global norm (chapter 11's)
EVAL_STEPS = (25, 50, 100, 250, 500, 750, 1000, 1250, 1500, 1750, 2000)
DTYPE = np.float32
SCALE_STREAMS, SCALE_LENGTH, SCALE_SKIP = 8, 2500, 100  # the text the forget gates are read on (see below)


def corpus():
    """(vocab, train_ids, val_ids, train_eval_ids): chapter 11's corpus and split.

    train_eval_ids is the first stretch of the training text, as long as the validation text: the training
    loss is measured on it the same way as the validation loss.
    """
    raw = text.SHAKESPEARE.read_text(encoding="utf-8")
    vocab = text.Vocabulary.from_text(raw)
    train_ids, val_ids = text.split(vocab.encode(raw))
    return vocab, train_ids, val_ids, train_ids[:len(val_ids)]


def n_params(K, H, L):
    """Parameters of the character model: L LSTM layers of H units reading K one-hot inputs, and V, c.

    4 (H (H + K) + H) for layer 1, 4 (H 2H + H) for each layer above, K H + K for the output layer.
    """
    return 4 * (H * (H + K) + H) + (L - 1) * 4 * (H * 2 * H + H) + K * H + K


def matched_hidden(K, L, target):
    """The hidden size that brings an L-layer model closest to `target` parameters."""
    return min(range(1, 4 * target), key=lambda H: (abs(n_params(K, H, L) - target), H))


def configs(K):
    """The models of the experiment: a list of {"L", "H", "params", "designs"}, each model once.

    designs names the designs a model belongs to: "same hidden", "same parameters" or both (the reference
    model, REFERENCE_DEPTH layers of HIDDEN units, is in both).
    """
    target = n_params(K, HIDDEN, REFERENCE_DEPTH)
    models = {}
    for L in DEPTHS:
        models.setdefault((L, HIDDEN), []).append("same hidden")
    for L in DEPTHS:
        models.setdefault((L, matched_hidden(K, L, target)), []).append("same parameters")
    return [{"L": L, "H": H, "params": n_params(K, H, L), "designs": tuple(d)} for (L, H), d in models.items()]


def train_run(K, H, L, seed, train_ids, val_ids, train_eval_ids, *, steps=STEPS, eval_steps=EVAL_STEPS,
              clip=CLIP):
    """Train one model from seed `seed` for `steps` windows; returns its history (arrays).

    clip is the threshold of clipping by global norm (np.inf: no clipping).

    val_loss and train_eval_loss (len(eval_steps),): rnnlib.charmodel.evaluate on val_ids and on
    train_eval_ids after each step in eval_steps (those up to `steps`). window_loss and grad_norm (steps,):
    the loss of each training window before its update, and the global norm of its gradient before clipping.
    seconds: the time of the training steps (the evaluations excluded). forget_log_mean (L, H): forget_log_means
    of the trained model on val_ids.
    """
    memory.keep_freed_memory()  # every step allocates the same temporaries: keep them (see rnnlib.memory)
    model = charmodel.init_model(K, H, L, np.random.default_rng(seed), DTYPE)
    adam = optim.Adam(lr=LR)
    eval_steps = [s for s in eval_steps if s <= steps]
    hist = {"val_loss": [], "train_eval_loss": [], "window_loss": [], "grad_norm": []}
    batches, (h, C) = text.tbptt_batches(train_ids, N, T), charmodel.zero_state(model, N)
    seconds = 0.0
    for step in range(1, steps + 1):
        start = time.perf_counter()
        try:
            xs, ys = next(batches)
        except StopIteration:  # the text is used up: start over, from a fresh state (as rnnlib.charlm.train)
            batches, (h, C) = text.tbptt_batches(train_ids, N, T), charmodel.zero_state(model, N)
            xs, ys = next(batches)
        loss, grads, (h, C) = charmodel.loss_and_grads(model, xs, ys, h, C)
        grads, norm = optim.clip_by_global_norm(grads, clip)
        adam.step(model, grads)
        seconds += time.perf_counter() - start
        hist["window_loss"].append(loss)
        hist["grad_norm"].append(norm)
        if step in eval_steps:
            hist["val_loss"].append(charmodel.evaluate(model, val_ids))
            hist["train_eval_loss"].append(charmodel.evaluate(model, train_eval_ids))
    out = {k: np.array(v, np.float64 if k in ("val_loss", "train_eval_loss") else np.float32)
           for k, v in hist.items()}
    out["eval_step"] = np.array(eval_steps)
    out["seconds"] = seconds
    out["forget_log_mean"] = forget_log_means(model, val_ids)
    return out


def forget_log_means(model, ids, n_streams=SCALE_STREAMS, length=SCALE_LENGTH, skip=SCALE_SKIP):
    """Mean of ln f_t for every cell of every layer, (L, H), over n_streams stretches of `length` characters.

    The stretches are the first n_streams * length characters of ids, each read from a zero state; the first
    `skip` steps of each are left out. A cell's content is multiplied by f_t at every step, so after k steps
    by prod f_t = exp(k mean ln f_t): -1 / mean ln f_t is the number of characters over which it decays
    by a factor e, the cell's time scale.
    """
    K, H, _ = charmodel.sizes(model)
    stretch = np.asarray(ids[:n_streams * length]).reshape(n_streams, length).T  # (T, N)
    layer_input = charmodel.one_hot(stretch, K, model["V"].dtype)
    means = []
    for params in model["layers"]:
        zeros = np.zeros((n_streams, H), model["V"].dtype)
        hs, _, cache = fused.lstm_layer_forward(layer_input, zeros, zeros, params)
        f = cache["gates"][skip:, :, :H].astype(np.float64)  # fused.ORDER: f first; (T - skip, N, H)
        means.append(np.log(np.maximum(f, 1e-12)).mean(axis=(0, 1)))  # f = 0 in float32 would give -inf
        layer_input = hs
    return np.array(means)


def settings():
    """The settings every run shares, as a dict (stored with the results)."""
    return {"steps": STEPS, "N": N, "T": T, "lr": LR, "clip": CLIP, "eval_steps": list(EVAL_STEPS),
            "hidden": HIDDEN, "reference_depth": REFERENCE_DEPTH, "seeds": list(SEEDS), "dtype": np.dtype(DTYPE).name,
            "optimizer": "Adam(beta1=0.9, beta2=0.999, eps=1e-8)", "eval": "rnnlib.charmodel.evaluate(N=16, T=100)",
            "forget_gates": {"streams": SCALE_STREAMS, "length": SCALE_LENGTH, "skip": SCALE_SKIP}}


def machine():
    """Where and when the runs were made: processor, cores, numpy and its BLAS, the date."""
    processor = platform.processor()
    try:  # Linux names the processor in /proc/cpuinfo
        with open("/proc/cpuinfo") as f:
            processor = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    blas = ""
    try:
        found = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{found.get('name', '')} {found.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 (the description is informative only)
        pass
    return {"machine": platform.machine(), "processor": processor, "cpu_count": os.cpu_count(),
            "python": platform.python_version(), "numpy": np.__version__, "blas": blas,
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", ""),
            "date": time.strftime("%Y-%m-%d")}


def save(path, runs, info):
    """Write the runs (a list of dicts: L, H, params, seed, designs and a train_run history) to an .npz.

    Per-run arrays are stacked: val_loss, train_eval_loss (runs, evals), window_loss, grad_norm (runs, steps),
    forget_log_mean (runs, max L, max H), NaN beyond a run's own layers and units.
    """
    stack = {k: np.stack([r[k] for r in runs]) for k in ("val_loss", "train_eval_loss", "window_loss", "grad_norm")}
    scalars = {k: np.array([r[k] for r in runs]) for k in ("L", "H", "params", "seed", "seconds")}
    designs = np.array([",".join(r["designs"]) for r in runs])
    L_max, H_max = max(r["L"] for r in runs), max(r["H"] for r in runs)
    forget = np.full((len(runs), L_max, H_max), np.nan)
    for k, r in enumerate(runs):
        forget[k, :r["L"], :r["H"]] = r["forget_log_mean"]
    stack["forget_log_mean"] = forget
    np.savez_compressed(path, eval_step=runs[0]["eval_step"], designs=designs, info=np.array(json.dumps(info)),
                        **stack, **scalars)


def load(path):
    """Read a file written by save: a dict of arrays (designs as tuples of names) and info as a dict."""
    with np.load(path, allow_pickle=False) as f:
        data = {k: f[k] for k in f.files}
    data["designs"] = [tuple(str(d).split(",")) for d in data["designs"]]
    data["info"] = json.loads(str(data["info"]))
    return data
