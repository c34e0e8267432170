"""What grading costs, measured side by side with bare nbgrader.

1. Per submission: the course's `nbgrader autograde` (sandbox, restored and verified test cells) on the
   instructor's solution of an assignment, against bare nbgrader (its default configuration) on a trivial
   notebook with the same cells (every code cell `x = 1`). Goal: at most 1.5x.
2. A class: the same batch of submissions with and without the sandbox (the rest of the pipeline the same).
   Goal: at most 1.3x; submissions per minute are printed.
3. At scale (`--scale`, instead of 1 and 2): submissions per minute for a class of ex03_gates and of
   ex06_char_lm graded by `python -m rnngrade.autograde` serially, with `--workers 2` (goal: at least 1.6x
   serial) and on a local Dask cluster (`dask scheduler` and two `dask worker` processes on 127.0.0.1).

    python benchmarks/bench_grading.py [--assignment ex03_gates] [--class-size 50] [--single 5]
    python benchmarks/bench_grading.py --scale [--class-size 40] [--rounds 2] [--assignment ex06_char_lm]
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NO_SANDBOX = "--SandboxedExecute.sandbox=False"


def course_with(tmp, assignment, source_nb, config):
    course = Path(tmp)
    (course / "solutions" / assignment).mkdir(parents=True)
    nbformat.write(source_nb, course / "solutions" / assignment / f"{assignment}.ipynb")
    if config:
        shutil.copy(ROOT / "nbgrader_config.py", course)
    else:  # nbgrader's defaults, but for where the notebooks are
        (course / "nbgrader_config.py").write_text(
            'c = get_config()\nc.CourseDirectory.source_directory = "solutions"\n'
            'c.CourseDirectory.release_directory = "exercises"\n')
    run(course, "generate_assignment", assignment)
    return course


def run(course, *args):
    subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=ERROR"], cwd=course, check=True,
                   capture_output=True)


def submit_copies(course, assignment, nb, n, prefix):
    for k in range(n):
        folder = course / "submitted" / f"{prefix}{k:03d}" / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{assignment}.ipynb")


def timed_autograde(course, assignment, *extra):
    shutil.rmtree(course / "autograded", ignore_errors=True)
    start = time.perf_counter()
    run(course, "autograde", assignment, "--force", *extra)
    return time.perf_counter() - start


def trivial_twin(nb):
    """The same cells and nbgrader metadata, with trivial code: what bare nbgrader grades."""
    twin = nbformat.reads(nbformat.writes(nb), as_version=4)
    for cell in twin.cells:
        if cell.cell_type == "code":
            cell.source = "x = 1"
    return twin


def timed_batch(course, assignment, *options):
    """Seconds for `python -m rnngrade.autograde` to grade the whole class afresh."""
    shutil.rmtree(course / "autograded", ignore_errors=True)
    (course / "gradebook.db").unlink(missing_ok=True)
    run(course, "generate_assignment", assignment, "--force")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rnngrade.autograde", assignment, *options, "--log-level=ERROR"],
                   cwd=course, check=True, capture_output=True)
    return time.perf_counter() - start


def local_dask(tmp):
    """A scheduler and two single-threaded worker processes on 127.0.0.1; returns (address, processes)."""
    dask = Path(sys.executable).parent / "dask"
    address_file = Path(tmp) / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
    processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                   "--scheduler-file", address_file], **quiet)]
    while not (address_file.exists() and address_file.read_text()):
        time.sleep(0.2)
    address = json.loads(address_file.read_text())["address"]
    processes += [subprocess.Popen([dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                    "--no-dashboard"], **quiet) for _ in range(2)]
    time.sleep(5)  # the workers register
    return address, processes


def scale(class_size, rounds, assignments):
    """Each round grades the class serially, with --workers 2, then on Dask (interleaved, since the machine
    may be shared); the fastest round of each is reported."""
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    for a in assignments:
        source = nbformat.read(ROOT / "solutions" / a / f"{a}.ipynb", as_version=4)
        with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory(prefix="rgd") as dtmp:
            course = course_with(tmp, a, source, config=True)
            submit_copies(course, a, source, class_size, "c")
            address, processes = local_dask(dtmp)
            times = {"serial": [], "workers": [], "dask": []}
            try:
                for _ in range(rounds):
                    times["serial"].append(timed_batch(course, a))
                    times["workers"].append(timed_batch(course, a, "--workers", "2"))
                    times["dask"].append(timed_batch(course, a, "--scheduler", address))
                    print(f"  {a} round: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in times.items())
                          + f" (load {os.getloadavg()[0]:.2f})", flush=True)
            finally:
                for process in processes:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait()
            serial, workers, dask = (min(times[k]) for k in ("serial", "workers", "dask"))
            rate = {name: 60 * class_size / t for name, t in (("serial", serial), ("workers", workers),
                                                                ("dask", dask))}
            # Ratios within a round compare runs under about the same load.
            per_round = {k: ", ".join(f"{s / t:.2f}x" for s, t in zip(times["serial"], times[k], strict=True))
                         for k in ("workers", "dask")}
            print(f"{a}, class of {class_size}, best rounds: serial {rate['serial']:.1f}/min, --workers 2 "
                  f"{rate['workers']:.1f}/min ({serial / workers:.2f}x, goal >= 1.6x), Dask with 2 workers "
                  f"{rate['dask']:.1f}/min ({serial / dask:.2f}x); serial over each round: --workers 2 "
                  f"{per_round['workers']}, Dask {per_round['dask']}", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", help="default: ex03_gates; with --scale, ex03_gates and ex06_char_lm")
    parser.add_argument("--class-size", type=int, default=50)
    parser.add_argument("--single", type=int, default=5, help="submissions in the per-submission comparison")
    parser.add_argument("--scale", action="store_true", help="serial, --workers 2 and Dask (see above)")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds of --scale (the best is kept)")
    args = parser.parse_args()
    if args.scale:
        return scale(max(args.class_size, 40), args.rounds,
                     [args.assignment] if args.assignment else ["ex03_gates", "ex06_char_lm"])
    a = args.assignment or "ex03_gates"
    source = nbformat.read(ROOT / "solutions" / a / f"{a}.ipynb", as_version=4)

    with tempfile.TemporaryDirectory() as t1, tempfile.TemporaryDirectory() as t2:
        ours = course_with(t1, a, source, config=True)
        bare = course_with(t2, a, trivial_twin(source), config=False)
        submit_copies(ours, a, source, args.single, "s")
        submit_copies(bare, a, trivial_twin(source), args.single, "s")
        times = {"ours": [], "bare": []}
        for _ in range(2):  # interleaved
            times["ours"].append(timed_autograde(ours, a) / args.single)
            times["bare"].append(timed_autograde(bare, a) / args.single)
        o, b = min(times["ours"]), min(times["bare"])
        print(f"per submission ({a}, {len(source.cells)} cells): course {o:.2f} s, bare nbgrader on a trivial "
              f"twin {b:.2f} s, ratio {o / b:.2f}x (goal <= 1.5x)")

        shutil.rmtree(ours / "submitted")
        submit_copies(ours, a, source, args.class_size, "c")
        sandboxed = timed_autograde(ours, a)
        plain = timed_autograde(ours, a, NO_SANDBOX)
        print(f"class of {args.class_size}: sandbox {sandboxed:.1f} s ({60 * args.class_size / sandboxed:.1f} "
              f"submissions/min), without {plain:.1f} s ({60 * args.class_size / plain:.1f}/min), ratio "
              f"{sandboxed / plain:.2f}x (goal <= 1.3x)")


if __name__ == "__main__":
    main()
