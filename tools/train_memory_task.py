"""Train the LSTM of the memory task ("remember the first symbol") and write the run the course ships.

    python tools/train_memory_task.py [--seed 0] [--forget-bias 3]

Trains with rnnbook.memory_task, the code and settings of the chapter on the whole LSTM, and writes the
trained weights (the LSTM's params dict and the output head V, c) with the seed, the forget bias and the
final test accuracy to lib/rnnbook/data/memory_task_lstm.npz. The chapter analyses that file, so that what
it says about the trained gates does not depend on the rounding of the reader's machine.
"""

import argparse
import os

# The matrices are small: one BLAS thread is as fast as several. (Set before numpy is first imported.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from pathlib import Path  # noqa: E402

from rnnbook import memory_task  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "lib" / "rnnbook" / "data" / "memory_task_lstm.npz"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--forget-bias", type=float, default=3.0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    model, history = memory_task.run(args.forget_bias, args.seed, memory_task.test_set())
    accuracy = history["test_acc"][-1]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    memory_task.save_lstm(args.out, model, seed=args.seed, forget_bias=args.forget_bias,
                          steps=memory_task.STEPS, test_accuracy=accuracy)
    print(f"seed {args.seed}, forget_bias {args.forget_bias:g}: test accuracy {accuracy:.1%} -> {args.out}")


if __name__ == "__main__":
    main()
