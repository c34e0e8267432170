"""Hostile and broken submissions: each gains nothing and harms nothing. One batch of ex03_gates is graded
in the sandbox, and every submission must get exactly the score written next to it.

ex03_gates has seven functions: six gates worth 2 points each and lstm_step_forward worth 3 (15 in all).
A submission that breaks forget_gate therefore scores 13, if nothing else is lost.
"""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from exercise_course import ROOT, cell_scores, completed, max_scores, new_course, submit

pytestmark = pytest.mark.batch  # every test here grades a class with nbgrader

A = "ex03_gates"
TANH_FORGET = ("def forget_gate(h_prev, x_t, W_f, b_f):\n"
               "    return np.tanh(np.concatenate([h_prev, x_t], axis=1) @ W_f.T + b_f)\n")
# Fast limits for the test; the defaults are in nbgrader_config.py and rnngrade.sandbox.
LIMITS = ["--SandboxedExecute.timeout=8", "--SandboxedExecute.notebook_timeout=90"]
SANDBOX_ENV = {"RNNGRADE_MEMORY_BYTES": str(2**30), "RNNGRADE_WALL_SECONDS": "150"}


def with_cell(nb, grade_id, change):
    """Apply `change(cells, index)` to the cell with this grade_id; returns nb."""
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    change(nb.cells, index)
    return nb


def solution_of(course, function, prefix="", suffix=""):
    nb = completed(course, A)
    with_cell(nb, function, lambda cells, i: setattr(cells[i], "source", prefix + cells[i].source + suffix))
    return nb


GATES = ("forget_gate", "input_gate", "candidate_cell", "cell_update", "output_gate", "hidden_state",
         "lstm_step_forward")

# Ways to reuse rnnlib that the trap in rnncheck (rnnlib's functions raise while a check runs) does not catch:
# each makes `_lib`, from which every function of the notebook is then taken. Outside the sandbox each passes
# the visible checks (test_indirect_reuse_of_rnnlib_gets_past_the_trap); graded, none can import rnnlib.
REUSE_RNNLIB = {
    # function objects re-made from rnnlib's code before the check swaps it, each with a copy of its module's names
    "copied-code": ("import sys, types\nimport rnnlib.lstm\n"
                    "_copies = {n: dict(vars(m)) for n, m in sys.modules.items() if n.split('.')[0] == 'rnnlib'}\n"
                    "for _ns in _copies.values():\n    for _k, _f in list(_ns.items()):\n"
                    "        if isinstance(_f, types.FunctionType) and _f.__module__ in _copies:\n"
                    "            _ns[_k] = types.FunctionType(_f.__code__, _copies[_f.__module__], _f.__name__,\n"
                    "                                         _f.__defaults__, _f.__closure__)\n"
                    "_lib = _copies['rnnlib.lstm']\n"),
    # rnnlib's modules under other names, which the trap does not look for
    "renamed-modules": ("import sys\nimport rnnlib.lstm\n"
                        "for _name in [n for n in sys.modules if n.split('.')[0] == 'rnnlib']:\n"
                        "    sys.modules['mine_' + _name] = sys.modules.pop(_name)\n"
                        "_lib = vars(sys.modules['mine_rnnlib.lstm'])\n"),
    # the trap itself replaced, through rnncheck's module globals
    "disabled-trap": ("import contextlib\n"
                      "check.__globals__['_without_rnnlib'] = lambda only=None: contextlib.nullcontext()\n"
                      "import rnnlib.lstm\n_lib = vars(rnnlib.lstm)\n"),
    # fresh modules, reloaded while the check runs
    "reloaded-modules": ("import importlib\n\ndef _fresh(name):\n    def call(*args):\n"
                         "        import rnnlib._checks, rnnlib.activations, rnnlib.lstm\n"
                         "        for module in (rnnlib._checks, rnnlib.activations, rnnlib.lstm):\n"
                         "            importlib.reload(module)\n"
                         "        return getattr(rnnlib.lstm, name)(*args)\n    return call\n\n"
                         f"_lib = {{name: _fresh(name) for name in {GATES!r}}}\n"),
    # rnnlib's source, found without importing it, read and run as the student's own
    "exec-source": ("import importlib.util, re\n"
                    "_folder = importlib.util.find_spec('rnnlib').submodule_search_locations[0]\n"
                    "_source = '\\n'.join(open(f'{_folder}/{m}.py').read()\n"
                    "                      for m in ('_checks', 'activations', 'lstm'))\n"
                    "_lib = {}\nexec(re.sub(r'^from \\..*$', '', _source, flags=re.M), _lib)\n"),
}


def from_rnnlib(course, way):
    """Every function of the notebook taken from rnnlib, the way REUSE_RNNLIB[way] gets past the trap."""
    return completed(course, A, {"forget_gate": REUSE_RNNLIB[way] + "forget_gate = _lib['forget_gate']\n",
                                 **{f: f"{f} = _lib[{f!r}]\n" for f in GATES[1:]}})


# Kept only if the course's packages cannot be imported (they cannot, in a graded kernel).
IMPORTS_THE_COURSE = ("\nimport importlib\n"
                      "for _name in ('rnnlib', 'rnnlib.lstm', 'rnnlib.charlm', 'rnngrade', 'rnnbook'):\n"
                      "    try:\n        importlib.import_module(_name)\n    except ImportError:\n        pass\n"
                      "    else:\n        forget_gate = None\n")


def hostile_submissions(course):
    """{student: (notebook or raw text or None for an empty folder, expected score, expected flag kind or None)}"""
    wrong = completed(course, A, {"forget_gate": TANH_FORGET})

    def wrong_plus(prefix):
        return completed(course, A, {"forget_gate": prefix + TANH_FORGET})

    def set_source(source):
        return lambda cells, i: setattr(cells[i], "source", source)

    def set_meta(cells, i):
        cells[i].metadata["nbgrader"]["grade"] = False
        cells[i].metadata["tags"] = ["skip-execution", "raises-exception"]

    def to_markdown(cells, i):
        cells[i] = nbformat.v4.new_markdown_cell(cells[i].source, metadata=cells[i].metadata)

    def points_100(cells, i):
        cells[i].metadata["nbgrader"]["points"] = 100

    return {
        "correct": (completed(course, A), 15, None),
        "patched-asserts": (wrong_plus("import builtins\nbuiltins.AssertionError = type('Never', (Exception,), {})\n"
                                       "import numpy.testing\nnumpy.testing.assert_allclose = lambda *a, **k: None\n"),
                            13, None),
        "patched-numpy": (wrong_plus("np.allclose = lambda *a, **k: True\n"
                                     "np.isfinite = lambda x: np.ones_like(x, bool)\n"
                                     "np.array_equal = lambda *a, **k: True\n"), 13, None),
        "tampered-test": (with_cell(completed(course, A, {"forget_gate": TANH_FORGET}), "forget_gate_tests",
                                    set_source("pass")), 13, None),
        "deleted-test": (with_cell(completed(course, A, {"forget_gate": TANH_FORGET}), "forget_gate_tests",
                                   lambda cells, i: cells.pop(i)), 13, None),
        "duplicated-test": (with_cell(completed(course, A), "forget_gate_tests",
                                      lambda cells, i: cells.insert(i, nbformat.from_dict(dict(cells[i])))), 15, None),
        "retagged-test": (with_cell(completed(course, A, {"forget_gate": TANH_FORGET}), "forget_gate_tests", set_meta),
                          13, None),
        "converted-test": (with_cell(completed(course, A, {"forget_gate": TANH_FORGET}), "forget_gate_tests",
                                     to_markdown), 13, None),
        "changed-points": (with_cell(completed(course, A), "forget_gate_tests", points_100), 15, None),
        "os-exit": (solution_of(course, "hidden_state", suffix="\nimport os\nos._exit(3)\n"), 13, "kernel-died"),
        "infinite-loop": (completed(course, A, {"forget_gate": "def forget_gate(h_prev, x_t, W_f, b_f):\n"
                                                               "    while True:\n        pass\n"}), 13, None),
        "memory-bomb": (solution_of(course, "input_gate", suffix="\nhog = [np.ones(2**26) for _ in range(40)]\n"),
                        13, "kernel-died"),
        "fork-bomb": (solution_of(course, "candidate_cell", suffix=(
            "\nimport os, time\ntry:\n    while True:\n        if os.fork() == 0:\n"
            "            time.sleep(20)\n            os._exit(0)\nexcept OSError:\n    pass\n")), 15, None),
        "output-flood": (solution_of(course, "cell_update",
                                     suffix="\nfor _ in range(300):\n    print('x' * 100_000)\n"), 15, "output-flood"),
        "read-outside": (completed(course, A, {"forget_gate": (  # the instructor's notebook, with the solutions
            f"import json\nsource = json.load(open({str(ROOT / 'solutions' / A / f'{A}.ipynb')!r}))\n"
            "exec(next(''.join(c['source']) for c in source['cells']\n"
            "          if c['metadata'].get('nbgrader', {}).get('grade_id') == 'forget_gate'))\n")}), 13, None),
        "write-gradebook": (solution_of(course, "forget_gate", prefix=(
            f"try:\n    open({str(course / 'gradebook.db')!r}, 'w').write('gone')\nexcept OSError:\n    pass\n")),
                            15, None),
        "network": (completed(course, A, {"forget_gate": (
            "import urllib.request\n"
            "def forget_gate(h_prev, x_t, W_f, b_f):\n"
            "    urllib.request.urlopen('http://example.com/answer', timeout=3)\n")}), 13, None),
        "shadow-numpy": (completed(course, A), 15, "extra-files"),
        "stderr-warnings": (solution_of(course, "forget_gate", suffix=(
            "\nimport sys, warnings\n_fg = forget_gate\n"
            "def forget_gate(*args):\n    warnings.warn('a harmless warning')\n"
            "    print('debug output', file=sys.stderr)\n    return _fg(*args)\n")), 15, None),
        "input-transformer": (solution_of(course, "forget_gate", suffix=(
            "\nget_ipython().input_transformers_cleanup.append("
            "lambda lines: [] if any('check(' in line for line in lines) else lines)\n")), 0, None),
        "exception-handler": (wrong_plus("get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n"),
                              13, None),
        "fake-results": (wrong_plus(
            "import rnncheck.check as _rc\nfrom IPython.display import display as _display\n_real = check\n"
            "def check(name, *fns, seed, sizes):\n    if name != 'forget_gate':\n"
            "        return _real(name, *fns, seed=seed, sizes=sizes)\n"
            "    outs = [_rc.encode({'f_t': np.full((s['N'], s['H']), 0.5)}) for s in sizes]\n"
            "    _display({_rc.MIME: {'check': name, 'seed': seed, 'outputs': outs}}, raw=True)\n"), 13, None),
        "imports-rnnlib": (solution_of(course, "forget_gate", suffix=IMPORTS_THE_COURSE), 15, None),
        **{way: (from_rnnlib(course, way), 0, None) for way in REUSE_RNNLIB},
        "invalid-json": ('{"cells": [ this is not json', None, "not-graded"),
        "wrong-name": (completed(course, A), None, "not-graded"),
        "empty": (None, None, "not-graded"),
    } | {"wrong": (wrong, 13, None)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = new_course(tmp_path_factory.mktemp("safe"), A)
    expected = hostile_submissions(course)
    for student, (notebook, _, _) in expected.items():
        if notebook is None:
            (course / "submitted" / student / A).mkdir(parents=True)
        elif student == "wrong-name":
            folder = submit(course, A, student, notebook)
            (folder / f"{A}.ipynb").rename(folder / "my_homework.ipynb")
        else:
            folder = submit(course, A, student, notebook)
            if student == "shadow-numpy":
                (folder / "numpy.py").write_text("raise SystemExit('shadowed')\n")
    env = {**os.environ, **SANDBOX_ENV}
    # The batch must finish whatever the submissions do; nbgrader exits non-zero for those it cannot read.
    result = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", A, *LIMITS], cwd=course, env=env,
                            capture_output=True, text=True, timeout=1500)
    subprocess.run([sys.executable, "-m", "rnngrade.report", A], cwd=course, check=True, capture_output=True)
    report = {row["student"]: row for row in _read_report(course)}
    return course, expected, cell_scores(course, A), report, result


def _read_report(course):
    import csv

    with open(course / "reports" / f"{A}.csv") as f:
        return list(csv.DictReader(f))


def students():
    return ["correct", "wrong", "patched-asserts", "patched-numpy", "tampered-test", "deleted-test",
            "duplicated-test", "retagged-test", "converted-test", "changed-points", "os-exit", "infinite-loop",
            "memory-bomb", "fork-bomb", "output-flood", "read-outside", "write-gradebook", "network",
            "shadow-numpy", "stderr-warnings", "input-transformer", "exception-handler", "fake-results",
            "imports-rnnlib", *REUSE_RNNLIB, "invalid-json", "wrong-name", "empty"]


@pytest.mark.parametrize("student", students())
def test_each_submission_gets_exactly_its_score_and_flags(graded, student):
    course, expected, scores, report, _ = graded
    _, score, flag = expected[student]
    row = report[student]
    if score is None:
        assert row["score"] == "", f"{student} should not be graded"
    else:
        got = sum(scores[student].values())
        assert got == score, f"{student}: {got} instead of {score}: {scores[student]}\n{row['flags']}"
        assert set(scores[student]) == set(max_scores(A)), "every test cell must be graded"
    if flag is not None:
        assert row["review"] == "yes" and flag in row["flags"], f"{student}: flags {row['flags']!r}"


@pytest.mark.parametrize("way", sorted(REUSE_RNNLIB))
def test_indirect_reuse_of_rnnlib_gets_past_the_trap(way, tmp_path):
    """Why the sandbox hides rnnlib: run where rnnlib can be imported (a student's Jupyter), each way of reusing
    it passes every visible check although rnnlib's functions raise while a check runs."""
    nb = from_rnnlib(ROOT, way)
    last = max(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade"))
    code = "\n\n".join(c.source for c in nb.cells[:last + 1] if c.cell_type == "code")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("cases correct") == len(GATES), result.stdout


def test_the_report_says_which_limits_held_each_submission(graded):
    """As root where cgroups can be made (as here), every kernel of the batch ran in them; the report says so."""
    from rnngrade import cgroups

    course, expected, _, report, _ = graded
    version = cgroups.version(cgroups.root())
    for student, (_, score, _) in expected.items():
        limits = report[student]["limits"]
        if score is None:
            assert limits == "", student
        elif os.geteuid() == 0 and version:
            assert limits == f"cgroup v{version} (memory, processes)", (student, limits)
        else:
            assert limits.startswith("rlimits"), (student, limits)
    assert "Limits on memory and processes: " in (course / "reports" / f"{A}.md").read_text()


def test_the_gradebook_survives_and_keeps_the_instructors_points(graded):
    course, _, scores, _, _ = graded
    assert (course / "gradebook.db").read_bytes()[:16] == b"SQLite format 3\x00"
    assert scores["changed-points"] == max_scores(A)


def test_a_second_run_gives_identical_grades(graded, tmp_path):
    course, _, scores, _, _ = graded
    again = ["correct", "os-exit", "fake-results"]
    env = {**os.environ, **SANDBOX_ENV}
    for student in again:
        subprocess.run([sys.executable, "-m", "nbgrader", "autograde", A, f"--student={student}", "--force", *LIMITS],
                       cwd=course, env=env, check=True, capture_output=True, timeout=300)
    rescored = cell_scores(course, A)
    assert {s: rescored[s] for s in again} == {s: scores[s] for s in again}


def test_a_graded_notebook_says_what_went_wrong(graded):
    course, *_ = graded
    nb = nbformat.read(course / "autograded" / "wrong" / A / f"{A}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "forget_gate_tests")
    assert "did you apply the sigmoid" in json.dumps(cell.outputs)


# A first cell that holds its grading until the test lets it go (at most 50 s, within the 60 s a cell may run):
# it marks its kernel's working folder, then waits there for a file the test writes.
WAIT_FOR_THE_TEST = (
    "import pathlib, time\n"
    "pathlib.Path('grading-started').touch()\n"
    "for _ in range(500):\n"
    "    if pathlib.Path('go-on').exists():\n"
    "        break\n"
    "    time.sleep(0.1)\n")


def _started_kernels(boxes, seen=()):
    """The working folders of the kernels under `boxes` that reached the waiting cell, but those in `seen`."""
    return [m.parent for m in sorted(boxes.glob("rnngrade-*/scratch/grading-started")) if m.parent not in seen]


def _wait_for_kernel(boxes, process, seen=()):
    """The working folder of the first kernel, but those in `seen`, to reach the waiting cell."""
    import time

    deadline = time.monotonic() + 300
    while not (started := _started_kernels(boxes, seen)):
        assert process.poll() is None and time.monotonic() < deadline, "no kernel reached the waiting cell"
        time.sleep(0.05)
    return started[0]


def _sandbox_processes(box):
    """The pids of the processes whose command line names the box folder (launcher, timeout, bwrap, kernel)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if str(box).encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def _in_cgroups(held):
    """The pids in the kernel's cgroups (which a grader that could clean up has removed)."""
    pids = []
    for cgroup in held.get("cgroups", []):
        try:
            pids += [int(pid) for pid in (Path(cgroup) / "cgroup.procs").read_text().split()]
        except FileNotFoundError:
            pass
    return pids


def _describe(pids):
    def what(pid):
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200] or "(no command line)"
        except OSError:
            return "(gone)"
    return {pid: what(pid) for pid in sorted(set(pids))}


@pytest.mark.parametrize("sig, env", [(signal.SIGTERM, {}), (signal.SIGKILL, {}), (signal.SIGINT, {}),
                                      (signal.SIGKILL, {"RNNGRADE_CGROUPS": "0"})],
                         ids=["SIGTERM", "SIGKILL", "SIGINT", "SIGKILL-without-cgroups"])
def test_no_kernel_outlives_a_stopped_batch(tmp_path, sig, env):
    """Stop nbgrader autograde while a kernel runs a cell: within seconds nothing of its sandbox is left (also
    without cgroups, where the kernel runs as a user of its own)."""
    import shutil
    import tempfile
    import time

    from rnngrade import cgroups

    course = new_course(tmp_path, A)
    nb = completed(course, A)
    nb.cells.insert(0, nbformat.v4.new_code_cell(WAIT_FOR_THE_TEST))
    submit(course, A, "waits", nb)
    boxes = Path(tempfile.mkdtemp(prefix="rg"))  # the sandboxes' folders; short, for their socket paths
    batch = subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", A], cwd=course,
                             env={**os.environ, "TMPDIR": str(boxes), **env}, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    held = {}
    try:
        box = _wait_for_kernel(boxes, batch).parent
        held = json.loads((box / "limits.json").read_text())
        assert len(_sandbox_processes(box)) >= 3  # timeout, bwrap, the kernel
        os.kill(batch.pid, sig)  # nbgrader alone: its kernels are in sessions of their own
        batch.wait(timeout=60)
        deadline = time.monotonic() + 10
        while (left := _sandbox_processes(box) + _in_cgroups(held)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, f"still running after {sig.name}: {_describe(left)}"
    finally:
        if batch.poll() is None:
            os.killpg(batch.pid, signal.SIGKILL)
        cgroups.remove(held.get("cgroups", []))  # what the killed grader could not remove
        shutil.rmtree(boxes, ignore_errors=True)


def test_an_interrupted_batch_resumes(tmp_path):
    """Kill nbgrader while b's notebook is being graded; rnngrade.autograde then grades everything, as if
    uninterrupted. b's first cell holds its grading until the test lets it go, so the kill lands mid-grading
    however fast the machine is."""
    import shutil
    import signal
    import tempfile

    from exercise_course import source_notebook

    from rnngrade.report import COMPLETE

    course = new_course(tmp_path, A)
    for student in ("a", "b", "c"):
        nb = source_notebook(A)
        if student == "b":
            nb.cells.insert(0, nbformat.v4.new_code_cell(WAIT_FOR_THE_TEST))
        submit(course, A, student, nb)
    boxes = Path(tempfile.mkdtemp(prefix="rg"))  # the sandboxes' folders; short, for their socket paths
    env = {**os.environ, "TMPDIR": str(boxes)}
    runs = []

    def run(*command, stdout=subprocess.DEVNULL):
        runs.append(subprocess.Popen([sys.executable, "-m", *command, A], cwd=course, env=env, text=True,
                                     start_new_session=True, stdout=stdout, stderr=subprocess.DEVNULL))
        return runs[-1]

    try:
        batch = run("nbgrader", "autograde")
        first = _wait_for_kernel(boxes, batch)
        os.killpg(batch.pid, signal.SIGKILL)  # b is being graded: it waits in its first cell
        batch.wait()
        assert (course / "autograded" / "b" / A).is_dir() and not (course / "autograded" / "b" / A / COMPLETE).exists()
        resumed = run("rnngrade.autograde", stdout=subprocess.PIPE)
        (_wait_for_kernel(boxes, resumed, seen=[first]) / "go-on").touch()
        stdout, _ = resumed.communicate(timeout=600)
    finally:
        for process in runs:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(boxes, ignore_errors=True)
    assert "b: its last grading was interrupted" in stdout
    full = sum(max_scores(A).values())
    assert {s: sum(v.values()) for s, v in cell_scores(course, A).items()} == {"a": full, "b": full, "c": full}
