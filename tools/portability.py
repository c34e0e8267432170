"""Run every chapter, and the tests whose results are floating-point numbers, under several OpenBLAS kernels.

    python tools/portability.py [--kernels Haswell Sandybridge Prescott] [--jobs 2]

Each kernel sums in its own order, so results differ in their last digits from one kernel, and one CPU, to
the next; a claim that only holds for one machine's rounding fails under another kernel. The three default
kernels run on any x86-64 machine with AVX2 (OpenBLAS falls back to an older one where a CPU lacks them, and
says so in the line it prints). Prints one line per kernel: passed, or what failed.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KERNELS = ("Haswell", "Sandybridge", "Prescott")
# The tests of numbers: everything but the checks of the built book, which read _build/ and compute nothing.
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not book"]

KERNEL_NAME = ("import numpy, threadpoolctl; "
               "print(next(i.get('architecture') for i in threadpoolctl.threadpool_info() "
               "if i['internal_api'] == 'openblas'))")


def chapters():
    return sorted((ROOT / "chapters").glob("*.md"))


def execute_chapter(path):
    """Execute one chapter as the book does, in its own folder; None, or where it failed and why."""
    import jupytext
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = jupytext.read(path)
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                       allow_errors=False).execute()
    except CellExecutionError as err:
        code_cells = [c for c in nb.cells if c.cell_type == "code"]
        failed = next((k for k, c in enumerate(code_cells, 1)
                       if any(o.output_type == "error" for o in c.get("outputs", []))), "?")
        return f"code cell {failed}: {err.ename}: {err.evalue}".strip()
    return None


def job(kernel, what):
    """One chapter or the test run, in a process of its own whose OpenBLAS uses `kernel`."""
    env = {**os.environ, "OPENBLAS_CORETYPE": kernel}
    start = time.monotonic()
    if what == "tests":
        done = subprocess.run(PYTEST, cwd=ROOT, env=env, capture_output=True, text=True)
        summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()[-300:]
        failed = [line.split(" ")[1] for line in done.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
        problem = None if done.returncode == 0 else (", ".join(failed) or summary)
        return what, problem, summary, time.monotonic() - start
    done = subprocess.run([sys.executable, __file__, "--execute", str(what)], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    problem = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 and done.stdout.strip() \
        else f"could not run: {done.stderr.strip()[-300:]}"
    return what.relative_to(ROOT), problem, None, time.monotonic() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", nargs="+", default=list(KERNELS))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--execute", type=Path, help=argparse.SUPPRESS)  # one chapter, in a child process
    args = parser.parse_args()
    if args.execute:
        print(json.dumps(execute_chapter(args.execute)))
        return 0

    lines, ok = [], True
    for kernel in args.kernels:
        env = {**os.environ, "OPENBLAS_CORETYPE": kernel}
        in_use = subprocess.run([sys.executable, "-c", KERNEL_NAME], env=env, capture_output=True,
                                text=True).stdout.strip()
        start = time.monotonic()
        print(f"{kernel}: running {len(chapters())} chapters and the tests (OpenBLAS uses {in_use}) ...", flush=True)
        with ThreadPoolExecutor(args.jobs) as pool:  # the test run first: it is the longest job
            results = list(pool.map(lambda what, k=kernel: job(k, what), ["tests", *chapters()]))
        problems = [f"{what}: {problem}" for what, problem, _, _ in results if problem]
        tests_summary = results[0][2]
        for what, problem, _, seconds in results:
            print(f"  {str(what):<28} {seconds:6.1f} s  {'FAILED ' + problem if problem else 'passed'}", flush=True)
        verdict = "passed" if not problems else "FAILED " + "; ".join(problems)
        lines.append(f"{kernel} (OpenBLAS {in_use}): {verdict} -- {len(chapters())} chapters, tests: "
                     f"{tests_summary} ({time.monotonic() - start:.0f} s)")
        ok = ok and not problems
    print("\n".join(["", "portability:", *lines]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
