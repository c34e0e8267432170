"""Training the character-level language model, rnnlib.charlm against the same model in torch, on this CPU.

Both start from the same weights (K=76 characters of the Shakespeare text, H=128, L=2, N=32, T=64, float32).
Throughput: characters per second of rnnlib.charlm.train and of rnnbook.torch_charlm.train_torch, measured in
interleaved blocks of steps (rnnlib, torch, rnnlib, torch, ...) so that both see the same machine load; the
median block of each is reported.
Goal: rnnlib at least 1/1.2 of torch's throughput (ratio numpy/torch >= 0.83).
With --budget STEPS, instead: both train for STEPS steps from the same weights, and their validation losses are
compared. Goal: within 5% of each other.

    python benchmarks/bench_char_lm.py [--rounds 3] [--block 30]
    python benchmarks/bench_char_lm.py --budget 600
"""

import argparse
import copy
import resource
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_info

from rnnbook.torch_charlm import TorchCharLM, train_torch
from rnnlib import charlm, memory, text

H, L, N, T = 128, 2, 32, 64
LR, CLIP = 2e-3, 5.0
RATIO_GOAL, LOSS_GOAL = 1 / 1.2, 0.05
# Both libraries' idle threads spin for a while after their last call (OpenBLAS's for about 0.1 s); a pause
# before every timed block keeps one library's spinning out of the other's measurement.
PAUSE = 0.5


def setup(seed=0):
    """(model, train_ids, val_ids): the Shakespeare text, split, and a float32 model for its characters."""
    corpus = text.SHAKESPEARE.read_text(encoding="utf-8")
    vocab = text.Vocabulary.from_text(corpus)
    train_ids, val_ids = text.split(vocab.encode(corpus))
    model = charlm.init_model(vocab.size, H, L, np.random.default_rng(seed))
    return model, train_ids, val_ids


def page_faults():
    """Minor page faults of this process so far: memory the allocator handed back and takes again is faulted in
    page by page, which costs both libraries a varying part of their time."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def throughput(model, train_ids, rounds, block):
    """Median chars/s of each library over `rounds` interleaved blocks of `block` steps (each its own copy)."""
    ours, theirs = copy.deepcopy(model), TorchCharLM.from_model(model)
    runs = {
        "rnnlib": lambda steps: charlm.train(ours, train_ids, steps=steps, N=N, T=T, lr=LR, clip=CLIP,
                                             progress=False),
        "torch": lambda steps: train_torch(theirs, train_ids, steps=steps, N=N, T=T, lr=LR, clip=CLIP,
                                           progress=False),
    }
    for run in runs.values():  # warm up both (allocators, thread pools)
        run(3)
    seconds = {name: [] for name in runs}
    for r in range(rounds):
        line = []
        for name, run in runs.items():
            time.sleep(PAUSE)
            faults = page_faults()
            seconds[name].append(run(block)["seconds"])
            line.append(f"{name} {block * N * T / seconds[name][-1]:8.0f} chars/s "
                        f"({(page_faults() - faults) / block:5.0f} page faults/step)")
        print(f"  round {r + 1}: " + "   ".join(line))
    return {name: block * N * T / statistics.median(s) for name, s in seconds.items()}


def budget(model, train_ids, val_ids, steps):
    """Validation losses of both libraries after `steps` training steps from the same weights."""
    ours, theirs = copy.deepcopy(model), TorchCharLM.from_model(model)
    kwargs = dict(steps=steps, N=N, T=T, lr=LR, clip=CLIP, eval_every=max(1, steps // 4), progress=False)
    results = {"rnnlib": charlm.train(ours, train_ids, val_ids, **kwargs),
               "torch": train_torch(theirs, train_ids, val_ids, **kwargs)}
    for name, history in results.items():
        curve = "  ".join(f"{s}: {v:.4f}" for s, v in zip(history["val_step"], history["val_loss"], strict=True))
        print(f"  {name:6s} validation loss (nats/char) at step {curve}   "
              f"({history['chars_per_second']:.0f} chars/s, {history['seconds']:.1f} s)")
    return results["rnnlib"]["val_loss"][-1], results["torch"]["val_loss"][-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--block", type=int, default=30, help="steps per timed block")
    parser.add_argument("--budget", type=int, metavar="STEPS", help="compare validation losses after STEPS steps")
    args = parser.parse_args()
    # charlm.train does this on its first call; doing it first puts both libraries under the same allocator.
    kept = memory.keep_freed_memory()
    model, train_ids, val_ids = setup()
    K = model["V"].shape[0]
    blas = ", ".join(f"{i['internal_api']} {i.get('architecture', '')} ({i['num_threads']} threads)"
                     for i in threadpool_info() if i["user_api"] == "blas")
    print(f"Character-level LSTM, K={K} H={H} L={L} N={N} T={T} float32; numpy BLAS: {blas}; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads; malloc keeps freed memory "
          f"(rnnlib.memory): {'yes' if kept else 'no'}")

    if args.budget:
        print(f"{args.budget} training steps each from the same weights ({len(val_ids)} validation characters):")
        ours, theirs = budget(model, train_ids, val_ids, args.budget)
        diff = abs(ours - theirs) / theirs
        ok = diff <= LOSS_GOAL
        print(f"validation loss: rnnlib {ours:.4f}   torch {theirs:.4f}   relative difference {diff:.2%} "
              f"(goal <= {LOSS_GOAL:.0%}) {'met' if ok else 'NOT met'}")
        return 0 if ok else 1

    print(f"Training throughput, {args.rounds} interleaved rounds of {args.block} steps each (medians):")
    speed = throughput(model, train_ids, args.rounds, args.block)
    ratio = speed["rnnlib"] / speed["torch"]
    ok = ratio >= RATIO_GOAL
    print(f"rnnlib {speed['rnnlib']:8.0f} chars/s   torch {speed['torch']:8.0f} chars/s   "
          f"ratio numpy/torch {ratio:.2f} (goal >= {RATIO_GOAL:.2f}) {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
