"""Grading a batch on a Dask cluster: one Dask task per submission.

The cluster is Dask's own (`dask scheduler` and `dask worker`, dask-jobqueue, dask-kubernetes); the course
folder must be at the same path on every worker (a shared filesystem), and the gradebook a database every
worker reaches (PostgreSQL through $RNNGRADE_DB_URL: SQLite's locks do not hold over NFS). A task runs, on its
worker and in the course folder, the grading the command line would run there (rnngrade.runs, one id). When
a worker is lost, Dask runs its tasks again on another one; the task first removes what an interrupted
grading of its submission left, so running it twice gives the same grades.
"""

import json
import os
import subprocess
import sys
import uuid

from .parallel import die_with_parent
from .report import REPORT_EACH


def forwarded_environment():
    """The course's settings (RNNGRADE_*: the gradebook's URL, limits) as the submitting side has them."""
    return {k: v for k, v in os.environ.items() if k.startswith("RNNGRADE_")}


def grade_task(student, root, assignment, options, env):
    """A Dask task: grade one submission on this worker; returns {"student", "status", "complete", "worker"}."""
    result = subprocess.run([sys.executable, "-m", "rnngrade.runs", assignment, *options], cwd=root,
                            env={**os.environ, **env, REPORT_EACH: "0"}, input=student + "\n",
                            capture_output=True, text=True, preexec_fn=die_with_parent)
    lines = result.stdout.splitlines()
    found = json.loads(lines[-1]) if lines else {"student": student, "status": result.returncode or -1,
                                                  "complete": False, "error": result.stderr[-2000:]}
    return {**found, "worker": os.uname().nodename}


def grade_on_cluster(scheduler, root, assignment, students, options, on_result):
    from distributed import Client, as_completed

    env = forwarded_environment()
    with Client(scheduler) as client:
        # A task is a grading to run, not a value to reuse: one key per submission and batch.
        batch = uuid.uuid4().hex[:8]
        futures = client.map(grade_task, students, root=str(root), assignment=assignment, options=list(options),
                             env=env, key=[f"grade-{assignment}-{s}-{batch}" for s in students])
        for future in as_completed(futures):
            try:
                on_result(future.result())
            except Exception as err:  # a task Dask gave up on (a worker lost again and again)
                student = students[futures.index(future)]
                on_result({"student": student, "status": -1, "complete": False, "error": str(err)})
