"""Grading at scale gives the grades of one serial `nbgrader autograde`: N gradings at once on this machine
(`--workers`), on a Dask cluster (`--scheduler`), with a PostgreSQL gradebook, and when a Dask worker dies in
the middle of a grading.

One class of ex03_gates (correct, wrong, a kernel that dies, a slow one) is graded serially once; every other
way grades a copy of it. Servers listen on 127.0.0.1 or a Unix socket only, and are stopped at the end.
"""

import csv
import glob
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
import pytest
from exercise_course import completed, max_scores, new_course, submit
from nbgrader.api import Gradebook

pytestmark = pytest.mark.batch

A = "ex03_gates"
LIMITS = ["--SandboxedExecute.timeout=8", "--SandboxedExecute.notebook_timeout=90"]
TANH_FORGET = ("def forget_gate(h_prev, x_t, W_f, b_f):\n"
               "    return np.tanh(np.concatenate([h_prev, x_t], axis=1) @ W_f.T + b_f)\n")
# Holds its grading until the test lets it go (at most 50 s): marks its kernel's folder, then waits there.
WAIT_FOR_THE_TEST = ("import pathlib, time\npathlib.Path('grading-started').touch()\n"
                     "for _ in range(500):\n    if pathlib.Path('go-on').exists():\n        break\n"
                     "    time.sleep(0.1)\n")


def _with_code(nb, grade_id, suffix):
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    cell.source += suffix
    return nb


def autograde(course, *options, env=None, timeout=600):
    result = subprocess.run([sys.executable, "-m", "rnngrade.autograde", A, *options, *LIMITS], cwd=course,
                            env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout)
    return result


def grades(course, url=None):
    """({student: {grade cell: score}} from the gradebook, [report rows])."""
    scores = {}
    with Gradebook(url or f"sqlite:///{course / 'gradebook.db'}") as gb:
        for submission in gb.assignment_submissions(A):
            for notebook in submission.notebooks:
                scores[submission.student_id] = {g.name: g.score for g in notebook.grades}
    with open(course / "reports" / f"{A}.csv") as f:
        return scores, list(csv.DictReader(f))


def copy_of(course, tmp):
    """The class as handed in, in a course of its own, not graded yet."""
    dest = tmp / "course"
    shutil.copytree(course, dest, ignore=shutil.ignore_patterns("autograded", "reports", "gradebook.db"))
    return dest


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    course = new_course(tmp_path_factory.mktemp("scale"), A)
    submit(course, A, "correct", completed(course, A))
    submit(course, A, "wrong", completed(course, A, {"forget_gate": TANH_FORGET}))
    submit(course, A, "os-exit", _with_code(completed(course, A), "hidden_state", "\nimport os\nos._exit(3)\n"))
    submit(course, A, "slow", _with_code(completed(course, A), "input_gate", "\nimport time\ntime.sleep(4)\n"))
    result = autograde(course)
    assert result.returncode == 0, result.stdout + result.stderr
    scores, report = grades(course)
    full = sum(max_scores(A).values())
    assert {s: sum(v.values()) for s, v in scores.items()} == {"correct": full, "wrong": full - 2,
                                                                "os-exit": full - 2, "slow": full}
    return course, scores, report


def test_two_workers_grade_as_one(serial, tmp_path):
    course, scores, report = serial
    copy = copy_of(course, tmp_path)
    result = autograde(copy, "--workers", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "graded 4/4, 0 failed" in result.stderr
    assert grades(copy) == (scores, report)


def test_a_second_parallel_run_grades_nothing_again(serial, tmp_path):
    course, scores, report = serial
    result = autograde(course, "--workers")  # all cores; everything is graded already
    assert result.returncode == 0 and "graded 0/0" in result.stderr, result.stderr
    assert grades(course) == (scores, report)


def _postgres_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL's server is not installed: run tools/system_deps.sh (Debian's postgresql)")
    return Path(found[-1]).parent


@pytest.fixture
def postgres():
    """A throw-away PostgreSQL server on a Unix socket in a temporary folder; yields its SQLAlchemy URL."""
    bin_dir = _postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="rgpg"))  # short: a socket's path has at most 107 bytes
    as_server = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_server:
        shutil.chown(folder, "postgres")
    data = folder / "data"

    def run(*command):
        subprocess.run([*as_server, *command], check=True, capture_output=True, text=True, timeout=120)

    try:
        run(bin_dir / "initdb", "-D", data, "-A", "trust", "-U", "grader")
        run(bin_dir / "pg_ctl", "start", "-w", "-D", data, "-l", folder / "log",
            "-o", f"-k {folder} -c listen_addresses=''")
        run(bin_dir / "createdb", "-h", folder, "-U", "grader", "gradebook")
        yield f"postgresql+psycopg2://grader@/gradebook?host={folder}"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*as_server, bin_dir / "pg_ctl", "stop", "-D", data, "-m", "immediate", "-w"],
                           capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def test_a_postgresql_gradebook_grades_as_sqlite(serial, tmp_path, postgres):
    course, scores, report = serial
    copy = copy_of(course, tmp_path)
    result = autograde(copy, "--workers", "2", env={"RNNGRADE_DB_URL": postgres})
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (copy / "gradebook.db").exists(), "the gradebook must be PostgreSQL's"
    assert grades(copy, postgres) == (scores, report)


def _ancestors(pid):
    while pid > 1:
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return
        yield pid


def _processes_naming(text):
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if text.encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _wait_for(condition, what, timeout=300):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return found


@pytest.fixture(scope="module")
def on_dask(serial, tmp_path_factory):
    """The class and one submission that waits for the test, graded on a Dask cluster of a scheduler and two
    worker processes (the command-line tools, as on a real cluster) in chunks of four, so that the waiting
    submission comes after three others of its chunk; the worker grading it is killed mid-grading, and its
    chunk is run again. Yields (course, result of the batch, the killed worker's pid, leftovers)."""
    course, _, _ = serial
    copy = copy_of(course, tmp_path_factory.mktemp("dask"))
    nb = completed(copy, A)
    nb.cells.insert(0, nbformat.v4.new_code_cell(WAIT_FOR_THE_TEST))
    submit(copy, A, "waits", nb)
    boxes = Path(tempfile.mkdtemp(prefix="rg"))  # the sandboxes' folders, to find the waiting kernel
    env = {**os.environ, "TMPDIR": str(boxes)}
    address_file = boxes / "scheduler.json"
    started = []

    def start(*command):
        started.append(subprocess.Popen([Path(sys.executable).parent / "dask", *command],
                                        env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL))
        return started[-1]

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--scheduler-file", str(address_file))
        address = json.loads(_wait_for(lambda: address_file.exists() and address_file.read_text(),
                                       "the scheduler", 60))["address"]
        workers = [start("worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny",
                         "--no-dashboard") for _ in range(2)]
        batch = subprocess.Popen([sys.executable, "-m", "rnngrade.autograde", A, "--scheduler", address,
                                  "--chunk-size", "4", *LIMITS],
                                 cwd=copy, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = _wait_for(lambda: sorted(boxes.glob("rnngrade-*/scratch/grading-started")), "the waiting kernel")[0]
        box = first.parent.parent
        worker = next(w for w in workers if any(w.pid in _ancestors(p) for p in _processes_naming(str(box))))
        worker.kill()  # mid-grading: its task must be run again on the other worker
        again = _wait_for(lambda: [m for m in boxes.glob("rnngrade-*/scratch/grading-started") if m != first],
                          "the grading on the other worker")[0]
        (again.parent / "go-on").touch()
        out, err = batch.communicate(timeout=600)
        deadline = time.monotonic() + 15
        while (leftovers := _processes_naming(str(box))) and time.monotonic() < deadline:
            time.sleep(0.1)
        yield copy, batch.returncode, out + err, worker.pid, leftovers
    finally:
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(boxes, ignore_errors=True)


def test_a_dask_cluster_grades_as_one_process(serial, on_dask):
    _, scores, report = serial
    copy, status, output, _, _ = on_dask
    assert status == 0, output
    got_scores, got_report = grades(copy)
    assert {s: v for s, v in got_scores.items() if s != "waits"} == scores
    assert [r for r in got_report if r["student"] != "waits"] == report


def test_chunks_give_every_worker_a_few():
    from rnngrade.cluster import chunks

    students = [f"s{k:02d}" for k in range(40)]
    assert [len(c) for c in chunks(students, 2)] == [7, 7, 7, 7, 7, 5]
    assert sum(chunks(students, 2), []) == students
    assert chunks(students[:3], 4) == [["s00"], ["s01"], ["s02"]]
    assert [len(c) for c in chunks(students, 1, 16)] == [16, 16, 8]


def test_a_lost_worker_loses_no_submission(on_dask):
    copy, _, output, _, leftovers = on_dask
    assert "graded 5/5, 0 failed" in output
    scores, report = grades(copy)
    assert sum(scores["waits"].values()) == sum(max_scores(A).values())
    assert next(r for r in report if r["student"] == "waits")["review"] == ""
    assert not leftovers, "the killed worker's grading must end with it"
