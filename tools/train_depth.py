"""Train the character model with 1, 2 and 3 layers on an equal budget and write the run the course ships.

    nice -n 10 python tools/train_depth.py [--steps 2000] [--seeds 0 1 2] [--out PATH]
    nice -n 10 python tools/train_depth.py --only 1 205 --seeds 1 --clip inf --out lib/rnnbook/data/depth_noclip.npz

Trains every model of rnnbook.depth.configs (the same hidden size, and the same parameter count, at each
depth) from every seed, one after the other in this process, with the settings of rnnbook.depth, and writes
the validation and training losses at each evaluation step, every window's loss and gradient norm, the time
of each run, the settings and a description of the machine to lib/rnnbook/data/depth_runs.npz. The chapter on
stacked networks analyses that file, so what it says does not depend on the rounding of the reader's machine.
The same seed gives the same numbers on the same machine. --only L H trains one model of the experiment and
--clip another threshold (inf: none): the second line above writes the run the chapter compares without
clipping.
"""

import argparse
import os

# The matrices are small: one BLAS thread is as fast as several. (Set before numpy is first imported.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time  # noqa: E402
from pathlib import Path  # noqa: E402

from rnnbook import depth  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "lib" / "rnnbook" / "data" / "depth_runs.npz"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=depth.STEPS)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(depth.SEEDS))
    parser.add_argument("--only", type=int, nargs=2, metavar=("L", "H"), help="train only this model")
    parser.add_argument("--clip", type=float, default=depth.CLIP, help="clipping threshold (inf: none)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    vocab, train_ids, val_ids, train_eval_ids = depth.corpus()
    runs, start = [], time.perf_counter()
    for seed in args.seeds:  # seed by seed: a partial run still covers every model
        for cfg in depth.configs(vocab.size):
            if args.only and [cfg["L"], cfg["H"]] != args.only:
                continue
            hist = depth.train_run(vocab.size, cfg["H"], cfg["L"], seed, train_ids, val_ids, train_eval_ids,
                                   steps=args.steps, clip=args.clip)
            runs.append({**cfg, "seed": seed, **hist})
            print(f"L={cfg['L']} H={cfg['H']:>3} ({cfg['params']:,} parameters) seed {seed}: "
                  f"validation {hist['val_loss'][-1]:.4f}, training {hist['train_eval_loss'][-1]:.4f}, "
                  f"{hist['seconds']:.0f} s; {time.perf_counter() - start:.0f} s so far", flush=True)
    eval_steps = [s for s in depth.EVAL_STEPS if s <= args.steps]
    settings = {**depth.settings(), "steps": args.steps, "seeds": args.seeds, "eval_steps": eval_steps,
                "clip": args.clip}
    if args.only:
        settings["only"] = args.only
    info = {"settings": settings,
            "machine": depth.machine(), "total_seconds": time.perf_counter() - start}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    depth.save(args.out, runs, info)
    print(f"{len(runs)} runs, {info['total_seconds'] / 60:.1f} min -> {args.out}")


if __name__ == "__main__":
    main()
