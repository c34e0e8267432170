"""Grading a batch on a Dask cluster: one Dask task per chunk of submissions.

The cluster is Dask's own (`dask scheduler` and `dask worker`, dask-jobqueue, dask-kubernetes); the course
folder must be at the same path on every worker (a shared filesystem), and the gradebook a database every
worker reaches (PostgreSQL through $RNNGRADE_DB_URL: SQLite's locks do not hold over NFS). A task starts one
grading process (rnngrade.runs) on its worker, in the course folder, and feeds it its chunk's ids: starting
nbgrader costs more than grading one submission, so a chunk pays it once. Chunks are sized to give every
worker thread a few, so that a slow one does not hold the end of the batch.

When a worker is lost, Dask runs its tasks again on another one. Each grading first removes what an
interrupted grading of its submission left, and one already complete is not graded again (nbgrader skips it,
unless --force), so a chunk run twice gives the same grades.
"""

import json
import math
import os
import subprocess
import sys
import uuid

from .parallel import die_with_parent
from .report import REPORT_EACH

CHUNKS_PER_THREAD = 3
MAX_CHUNK = 10


def forwarded_environment():
    """The course's settings (RNNGRADE_*: the gradebook's URL, limits) as the submitting side has them."""
    return {k: v for k, v in os.environ.items() if k.startswith("RNNGRADE_")}


def chunks(students, threads, size=None):
    """`students` in consecutive chunks of `size`, else about CHUNKS_PER_THREAD for each of `threads`, none
    over MAX_CHUNK."""
    size = size or max(1, min(MAX_CHUNK, math.ceil(len(students) / (CHUNKS_PER_THREAD * max(threads, 1)))))
    return [students[i:i + size] for i in range(0, len(students), size)]


def grade_chunk(students, root, assignment, options, env):
    """A Dask task: grade `students` one after another in one process on this worker; returns a list of
    {"student", "status", "complete", "worker"}, one per student (status -1 where the process gave none)."""
    result = subprocess.run([sys.executable, "-m", "rnngrade.runs", assignment, *options], cwd=root,
                            env={**os.environ, **env, REPORT_EACH: "0"}, input="".join(s + "\n" for s in students),
                            capture_output=True, text=True, preexec_fn=die_with_parent)
    found = {r["student"]: r for r in map(json.loads, result.stdout.splitlines())}
    lost = {"status": result.returncode or -1, "complete": False, "error": result.stderr[-2000:]}
    node = os.uname().nodename
    return [{**found.get(s, {"student": s, **lost}), "worker": node} for s in students]


def grade_on_cluster(scheduler, root, assignment, students, options, on_result, chunk=None):
    """Grade `students` on the cluster at `scheduler`, `chunk` (or a size that suits the cluster) per task;
    `on_result(result)` is called for each, as its chunk finishes."""
    from distributed import Client, as_completed

    env = forwarded_environment()
    with Client(scheduler) as client:
        client.wait_for_workers(1)  # chunks are sized for the workers there are (an adaptive cluster: one)
        parts = chunks(students, sum(client.nthreads().values()), chunk)
        # A task is a grading to run, not a value to reuse: one key per chunk and batch.
        batch = uuid.uuid4().hex[:8]
        futures = client.map(grade_chunk, parts, root=str(root), assignment=assignment, options=list(options),
                             env=env, key=[f"grade-{assignment}-{part[0]}-{batch}" for part in parts])
        for future in as_completed(futures):
            try:
                results = future.result()
            except Exception as err:  # a task Dask gave up on (a worker lost again and again)
                results = [{"student": s, "status": -1, "complete": False, "error": str(err)}
                           for s in parts[futures.index(future)]]
            for result in results:
                on_result(result)
