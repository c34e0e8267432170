"""Forward + backward of a 2-layer LSTM, rnnlib against torch.nn.LSTM, side by side on this CPU.

Sizes follow the character-level model: T=50, N=32, D=65, H=128. The two implementations run in alternating
blocks, so that both see the same machine load; inside a block one library runs back to back, as in a training
loop (after two warm-up calls), so neither is timed while the other's idle BLAS or OpenMP threads still spin,
nor after its own threads went to sleep. The ratio of the medians is printed.
Goals: rnnlib float32 <= 1.0x torch, float64 <= 0.5x torch.
Both run with glibc's default allocator, as rnnlib's layers do. torch's float32 time depends strongly on it:
with freed memory kept for reuse (rnnlib.memory, which charlm.train turns on), torch's float32 call was measured
1.7x faster and rnnlib's unchanged; bench_char_lm.py measures training that way, for both libraries.

    python benchmarks/bench_lstm.py [--reps 30]
"""

import argparse
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_info

from rnnlib import init, interop, stacked

T, N, D, H, L = 50, 32, 65, 128, 2
GOALS = {"float32": 1.0, "float64": 0.5}
BLOCK = 10  # timed calls per block
PAUSE = 1.0  # between blocks: the other library's idle threads stop spinning


def rnnlib_step(xs, h0, C0, layers, dhs):
    hs, _, _, cache = stacked.stacked_lstm_forward(xs, h0, C0, layers)
    stacked.stacked_lstm_backward(dhs, cache)


def torch_step(module, xs, h0, C0, dhs):
    module.zero_grad(set_to_none=True)
    hs, _ = module(xs, (h0, C0))
    hs.backward(dhs)


def bench(dtype, reps):
    rng = np.random.default_rng(0)
    layers = init.stacked_lstm_params(D, H, L, rng, dtype=dtype)
    xs = rng.standard_normal((T, N, D)).astype(dtype)
    h0 = np.zeros((L, N, H), dtype=dtype)
    C0 = np.zeros((L, N, H), dtype=dtype)
    dhs = rng.standard_normal((T, N, H)).astype(dtype)

    module = interop.lstm_to_torch(layers)
    t_xs = torch.from_numpy(xs).requires_grad_(True)
    t_h0, t_C0, t_dhs = (torch.from_numpy(a) for a in (h0, C0, dhs))

    def run_ours():
        rnnlib_step(xs, h0, C0, layers, dhs)

    def run_torch():
        torch_step(module, t_xs, t_h0, t_C0, t_dhs)

    ours, theirs = [], []
    for _ in range(max(1, reps // BLOCK)):
        for fn, times in ((run_ours, ours), (run_torch, theirs)):
            time.sleep(PAUSE)
            fn()
            fn()  # warm: thread pools awake, allocator in its steady state
            for _ in range(BLOCK):
                start = time.perf_counter()
                fn()
                times.append(time.perf_counter() - start)
    return statistics.median(ours), statistics.median(theirs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=60, help="timed calls per library, in blocks of 10")
    args = parser.parse_args()
    blas = ", ".join(f"{i['internal_api']} {i.get('architecture', '')} ({i['num_threads']} threads)"
                     for i in threadpool_info() if i["user_api"] == "blas")
    print(f"2-layer LSTM forward+backward, T={T} N={N} D={D} H={H}; numpy BLAS: {blas}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; median of {args.reps} calls in alternating blocks")
    met = True
    for name, dtype in (("float32", np.float32), ("float64", np.float64)):
        ours, theirs = bench(dtype, args.reps)
        ratio = ours / theirs
        ok = ratio <= GOALS[name]
        met &= ok
        print(f"{name}: rnnlib {ours * 1e3:7.2f} ms   torch {theirs * 1e3:7.2f} ms   "
              f"ratio {ratio:.2f}x (goal <= {GOALS[name]}x) {'met' if ok else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
