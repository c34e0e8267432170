"""Grading a batch on every core of one machine: N grading processes (rnngrade.runs) at once.

Each process grades one submission after another through nbgrader's own `autograde --student=ID`, with the
course's configuration and its sandbox, and takes the next id as soon as it is done, so a slow submission
holds one process and not the batch. The gradebook is shared: SQLite waits for its lock
(rnngrade.database), a grading that still lost the race is done again (rnngrade.runs), and the report is
written once, when the batch is done (rnngrade.autograde).
"""

import ctypes
import json
import os
import queue
import signal
import subprocess
import sys
import threading

from .report import REPORT_EACH

_PR_SET_PDEATHSIG = 1


def die_with_parent():
    """For a child process: be killed when the process that started it dies (even by SIGKILL), so that no
    grading goes on behind the back of a batch that was stopped or of a Dask worker that was lost."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def start_runs(root, assignment, options, env=None):
    """One rnngrade.runs process in the course folder `root`."""
    env = {**os.environ, **(env or {}), REPORT_EACH: "0"}
    return subprocess.Popen([sys.executable, "-m", "rnngrade.runs", assignment, *options], cwd=root, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
                            preexec_fn=die_with_parent)


def grade_locally(root, assignment, students, options, workers, on_result):
    """Grade `students` with `workers` processes; `on_result(result)` is called (from one thread at a time)
    with each {"student", "status", "complete"}."""
    todo, lock = queue.Queue(), threading.Lock()
    for student in students:
        todo.put(student)

    def worker():
        process = None
        try:
            while True:
                try:
                    student = todo.get_nowait()
                except queue.Empty:
                    return
                if process is None or process.poll() is not None:
                    process = start_runs(root, assignment, options)
                process.stdin.write(student + "\n")
                line = process.stdout.readline()
                result = json.loads(line) if line else {"student": student, "status": -1, "complete": False}
                with lock:
                    on_result(result)
        finally:
            if process is not None and process.poll() is None:
                process.stdin.close()
                process.wait()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(workers, len(students)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
