"""The limits that hold a grading kernel (rnngrade.limits, rnngrade.cgroups), on every path this machine can take.

- cgroup v1 and v2: their file protocol, on plain folders laid out like each hierarchy. This checks what is
  written where, not that a kernel enforces it (the batch in test_safe_grading.py runs under this machine's
  real cgroups);
- rlimits for a user of the kernel's own (cgroups turned off with RNNGRADE_CGROUPS=0, the grader being root):
  a real sandbox, in which a fork bomb and a memory hog are stopped, and a class graded that way;
- rlimits as root (no `setpriv`): reported as weak.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from exercise_course import cell_scores, completed, new_course, submit

from rnngrade import cgroups
from rnngrade.limits import DESCRIPTIONS, Limits, describe
from rnngrade.report import _limits_summary

LIMITS = Limits(memory_bytes=2**30, processes=32)
as_root = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("bwrap") is None,
                             reason="starting kernels as another user needs root and bubblewrap")


def fake_v2(tmp_path, parent_control="", delegated="user.slice/grader"):
    """A folder laid out like a cgroup v2 hierarchy, with a subtree delegated to the grader."""
    base = tmp_path / "cgroup"
    for folder in ("user.slice", delegated):
        (base / folder).mkdir(parents=True, exist_ok=True)
    (base / "cgroup.controllers").write_text("cpuset cpu io memory hugetlb pids rdma misc\n")
    (base / "cgroup.subtree_control").write_text("cpu\n")
    (base / "user.slice" / "cgroup.subtree_control").write_text("memory pids\n")
    (base / delegated / "cgroup.subtree_control").write_text(parent_control)
    return base


def test_cgroup_v2_file_protocol_enables_controllers_where_needed_and_sets_the_limits(tmp_path, monkeypatch):
    """The files written (not the kernel's enforcement): controllers enabled in each ancestor that lacks them,
    memory.max, no swap, pids.max, and the process moved in."""
    base = fake_v2(tmp_path)
    monkeypatch.setenv("RNNGRADE_CGROUP_PARENT", "user.slice/grader/rnngrade")
    version, made = cgroups.join("rnngrade-box", LIMITS, 4242, base=base)
    child = base / "user.slice" / "grader" / "rnngrade" / "rnngrade-box"
    assert (version, made) == (2, [str(child)])
    assert (base / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert (base / "user.slice" / "cgroup.subtree_control").read_text() == "memory pids\n"  # already on
    assert (base / "user.slice" / "grader" / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert (child.parent / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert {f.name: f.read_text() for f in child.iterdir()} == {
        "memory.max": str(2**30), "memory.swap.max": "0", "pids.max": "32", "cgroup.procs": "4242"}


def test_cgroup_v2_events_give_the_reason_a_kernel_died(tmp_path):
    child = tmp_path / "rnngrade-box"
    child.mkdir()
    (child / "memory.events").write_text("low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n")
    (child / "pids.events").write_text("max 7\n")
    assert cgroups.report(2, [str(child)]) == {"oom": 1, "fork_refused": 7}
    (child / "memory.events").write_text("low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n")
    assert cgroups.report(2, [str(child)]) == {"oom": 0, "fork_refused": 7}


def test_cgroup_v1_file_protocol(tmp_path):
    base = tmp_path / "cgroup"
    for controller in ("pids", "memory", "cpu"):
        (base / controller).mkdir(parents=True)
    version, made = cgroups.join("rnngrade-box", LIMITS, 4242, base=base)
    assert (version, made) == (1, [str(base / "pids" / "rnngrade-box"), str(base / "memory" / "rnngrade-box")])
    assert (base / "pids" / "rnngrade-box" / "pids.max").read_text() == "32"
    assert (base / "memory" / "rnngrade-box" / "memory.limit_in_bytes").read_text() == str(2**30)
    assert all((Path(d) / "cgroup.procs").read_text() == "4242" for d in made)


def test_no_usable_hierarchy_means_no_cgroups_and_nothing_left_behind(tmp_path):
    hybrid = tmp_path / "hybrid"  # a unified hierarchy without controllers, and no v1 ones
    (hybrid / "unified").mkdir(parents=True)
    (hybrid / "unified" / "cgroup.controllers").write_text("")
    assert cgroups.join("rnngrade-box", LIMITS, 4242, base=hybrid) is None
    no_pids = fake_v2(tmp_path / "v2")
    (no_pids / "cgroup.controllers").write_text("cpu memory\n")
    assert cgroups.join("rnngrade-box", LIMITS, 4242, base=no_pids) is None
    assert not (no_pids / "rnngrade").exists()


def launch(tmp_path, code, env, assignment="ex03_gates"):
    """Run `code` as the kernel through the sandbox's launcher; (what it printed on stderr, what held it)."""
    box = tmp_path / "box"
    for sub in ("sockets", "scratch"):
        (box / sub).mkdir(parents=True)
    result = subprocess.run([sys.executable, "-I", "-m", "rnngrade.sandbox", "--box", str(box), "--assignment",
                             assignment, "--", sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, **env}, timeout=120)
    held = json.loads((box / "limits.json").read_text())
    cgroups.remove(held.get("cgroups", []))
    return result.stderr, held


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_the_launcher_follows_the_v2_protocol_on_a_fake_hierarchy(tmp_path):
    """The launcher puts itself into a v2 cgroup and records it (the folder is not a real cgroupfs: nothing is
    enforced, only the protocol is checked)."""
    base = fake_v2(tmp_path, delegated="rnngrade")
    out, held = launch(tmp_path, "import sys; print('ran', file=sys.stderr)",
                       {"RNNGRADE_CGROUP_ROOT": str(base), "RNNGRADE_MEMORY_BYTES": str(2**30)})
    assert "ran" in out and held["mode"] == "cgroup-v2"
    (child,) = held["cgroups"]
    assert (Path(child) / "memory.max").read_text() == str(2**30)
    assert int((Path(child) / "cgroup.procs").read_text()) > 1  # the launcher's pid
    assert describe(held) == DESCRIPTIONS["cgroup-v2"]


BOMBS = """
import os, sys, time, numpy as np
print("uid", os.getuid(), file=sys.stderr)
forked = 0
try:
    while forked < 5000:
        if os.fork() == 0:
            time.sleep(3)
            os._exit(0)
        forked += 1
except OSError:
    pass
print("forked", forked, file=sys.stderr)
try:
    hog = np.ones(2**28)  # 2 GiB
    print("allocated", file=sys.stderr)
except MemoryError:
    print("memory refused", file=sys.stderr)
"""


@as_root
def test_without_cgroups_the_kernel_runs_as_a_user_of_its_own_and_its_limits_bind(tmp_path):
    out, held = launch(tmp_path, BOMBS, {"RNNGRADE_CGROUPS": "0", "RNNGRADE_MEMORY_BYTES": str(2**30),
                                         "RNNGRADE_PROCESSES": "32"})
    assert held["mode"] == "user" and f"uid {held['uid']}" in out and held["uid"] != 0
    assert int(re.search(r"forked (\d+)", out).group(1)) < 32, out
    assert "memory refused" in out
    assert describe(held).startswith(f"rlimits as uid {held['uid']}")


def test_rlimits_as_root_are_reported_as_weak(tmp_path):
    """Where a root grader can neither make cgroups nor start kernels as another user (no setpriv)."""
    code = ("import json, os, shutil, resource\nfrom rnngrade import limits\nshutil.which = lambda name: None\n"
            "os.geteuid = lambda: 0\nos.environ['RNNGRADE_CGROUPS'] = '0'\n"
            "print(json.dumps(limits.apply('rnngrade-box', limits.Limits())))\n")
    held = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert held["mode"] == "root" and describe(held).startswith("WEAK")
    summary = _limits_summary([{"limits": [describe(held)]}, {"limits": [DESCRIPTIONS["cgroup-v1"]]}])
    assert summary[0].startswith("**Warning") and describe(held) in summary[2]


FORK_COUNT = ("\nimport os, time\n_forked = 0\ntry:\n    while _forked < 5000:\n        if os.fork() == 0:\n"
              "            time.sleep(3)\n            os._exit(0)\n        _forked += 1\nexcept OSError:\n    pass\n"
              "print(f'forked {_forked}')\n")
MEMORY_HOG = ("\ntry:\n    _hog = np.ones(2**28)  # 2 GiB\nexcept MemoryError:\n    print('memory refused')\n")
NOT_ROOT = "\nimport os\nif os.getuid() == 0:\n    forget_gate = None\n"


@pytest.mark.batch
@as_root
def test_a_class_graded_without_cgroups_runs_as_other_users_under_binding_limits(tmp_path):
    """nbgrader autograde with cgroups off: every kernel under a uid of its own, a fork bomb stopped near the
    process limit, a memory hog refused, and the report says which limits held."""
    A = "ex03_gates"
    course = new_course(tmp_path, A)
    for student, suffixes in {"correct": {}, "not-root": {"forget_gate": NOT_ROOT},
                              "bombs": {"candidate_cell": FORK_COUNT, "input_gate": MEMORY_HOG}}.items():
        nb = completed(course, A)
        for cell in nb.cells:
            cell.source += suffixes.get(cell.metadata.get("nbgrader", {}).get("grade_id"), "")
        submit(course, A, student, nb)
    env = {**os.environ, "RNNGRADE_CGROUPS": "0", "RNNGRADE_MEMORY_BYTES": str(2**30)}
    result = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", A, "--SandboxedExecute.timeout=30"],
                            cwd=course, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-5000:]
    assert {s: sum(v.values()) for s, v in cell_scores(course, A).items()} == {"correct": 15, "not-root": 15,
                                                                               "bombs": 15}
    nb = nbformat.read(course / "autograded" / "bombs" / A / f"{A}.ipynb", as_version=4)
    text = json.dumps([c.outputs for c in nb.cells if c.cell_type == "code"])
    assert "memory refused" in text
    assert int(re.search(r"forked (\d+)", text).group(1)) < Limits().processes
    report = (course / "reports" / f"{A}.csv").read_text()
    assert report.count("rlimits as uid") == 3 and "WEAK" not in report
