"""Train the course's character-level language model on rnnlib's corpus and write the run that rnnlib ships.

    python tools/train_char_lm.py [--steps 6000] [--framework both|numpy|torch]

numpy: writes lib/rnnlib/data/char_lm/model.npz (weights and vocabulary) and history.json (losses, timing,
settings). torch: trains the same model in torch from the same initial weights with the same budget and writes
history_torch.json there, for the side-by-side comparison. The same seed gives the same numbers.
"""

import argparse
import json
from pathlib import Path

import numpy as np

from rnnlib import charlm, text

OUT = Path(__file__).resolve().parents[1] / "lib" / "rnnlib" / "data" / "char_lm"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=192)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--N", type=int, default=32, help="streams per batch")
    parser.add_argument("--T", type=int, default=64, help="steps per window (truncated BPTT)")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--clip", type=float, default=5.0)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--framework", choices=("both", "numpy", "torch"), default="both")
    args = parser.parse_args()

    raw = text.SHAKESPEARE.read_text(encoding="utf-8")
    vocab = text.Vocabulary.from_text(raw)
    train_ids, val_ids = text.split(vocab.encode(raw))
    model = charlm.init_model(vocab.size, args.hidden, args.layers, np.random.default_rng(args.seed))
    start = {"layers": [{k: v.copy() for k, v in p.items()} for p in model["layers"]],
             "V": model["V"].copy(), "c": model["c"].copy()}
    settings = {k: getattr(args, k)
                for k in ("hidden", "layers", "steps", "N", "T", "lr", "clip", "eval_every", "seed")}

    OUT.mkdir(parents=True, exist_ok=True)
    if args.framework in ("both", "numpy"):
        history = charlm.train(model, train_ids, val_ids, steps=args.steps, N=args.N, T=args.T, lr=args.lr,
                               clip=args.clip, eval_every=args.eval_every)
        charlm.save(OUT / "model.npz", model, vocab)
        (OUT / "history.json").write_text(json.dumps({"settings": settings, **history}) + "\n")
        print(f"numpy: validation loss {history['val_loss'][-1]:.4f}, {history['chars_per_second']:.0f} chars/s")

    if args.framework in ("both", "torch"):
        from rnnbook.torch_charlm import TorchCharLM, train_torch

        twin = TorchCharLM.from_model(start)
        history_torch = train_torch(twin, train_ids, val_ids, steps=args.steps, N=args.N, T=args.T, lr=args.lr,
                                    clip=args.clip, eval_every=args.eval_every, progress=True)
        (OUT / "history_torch.json").write_text(json.dumps({"settings": settings, **history_torch}) + "\n")
        print(f"torch: validation loss {history_torch['val_loss'][-1]:.4f}, "
              f"{history_torch['chars_per_second']:.0f} chars/s")


if __name__ == "__main__":
    main()
