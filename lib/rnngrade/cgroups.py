"""A fresh cgroup for one kernel: its memory and its number of processes (threads count too), capped.

cgroup v2 (one unified hierarchy: most current distributions) and v1 (one hierarchy per controller) are both
supported. Everything here reads and writes files under a root folder, RNNGRADE_CGROUP_ROOT (by default
/sys/fs/cgroup), so that the file protocol can be checked on a plain folder laid out like either hierarchy.

v2 needs a cgroup without processes that the grader can write, in which both controllers can be enabled:
RNNGRADE_CGROUP_PARENT, relative to the root (by default `rnngrade`, made at the root: as root on a host, or
a subtree delegated to the instructor, e.g. `user.slice/user-1000.slice/user@1000.service/rnngrade`).
"""

import os
from pathlib import Path

CONTROLLERS = ("memory", "pids")


def root():
    return Path(os.environ.get("RNNGRADE_CGROUP_ROOT", "/sys/fs/cgroup"))


def version(base):
    """2 if base is a unified hierarchy offering both controllers, 1 if it holds v1's pids and memory, else None.
    (A hybrid machine has a unified hierarchy at base/unified, without controllers: it counts as v1.)"""
    controllers = base / "cgroup.controllers"
    if controllers.is_file():
        return 2 if set(CONTROLLERS) <= set(controllers.read_text().split()) else None
    return 1 if all((base / c).is_dir() for c in ("pids", "memory")) else None


def join(name, limits, pid, base=None):
    """Put process `pid` into new cgroups called `name` with these limits. Returns (version, [the folders made]),
    or None if that cannot be done here (nothing is left behind then)."""
    base = root() if base is None else base
    made = []
    try:
        v = version(base)
        if v == 2:
            made = [_join_v2(base, name, limits, pid, made)]
        elif v == 1:
            _join_v1(base, name, limits, pid, made)
        else:
            return None
        return v, [str(d) for d in made]
    except OSError:
        remove(made)
        return None


def _join_v1(base, name, limits, pid, made):
    pids, memory = base / "pids" / name, base / "memory" / name
    for d in (pids, memory):
        d.mkdir()
        made.append(d)
    (pids / "pids.max").write_text(str(limits.processes))
    (memory / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
    for d in (pids, memory):
        (d / "cgroup.procs").write_text(str(pid))


def _join_v2(base, name, limits, pid, made):
    parent = base / os.environ.get("RNNGRADE_CGROUP_PARENT", "rnngrade")
    parent.mkdir(parents=True, exist_ok=True)
    # A controller works in a cgroup only if every ancestor enables it for its children.
    ancestor = base
    _enable(ancestor)
    for part in parent.relative_to(base).parts:
        ancestor = ancestor / part
        _enable(ancestor)
    cgroup = parent / name
    cgroup.mkdir()
    made.append(cgroup)
    (cgroup / "memory.max").write_text(str(limits.memory_bytes))
    _write_if_possible(cgroup / "memory.swap.max", "0")  # no swap: memory.max is the whole budget
    (cgroup / "pids.max").write_text(str(limits.processes))
    (cgroup / "cgroup.procs").write_text(str(pid))
    return cgroup


def _enable(cgroup):
    control = cgroup / "cgroup.subtree_control"
    enabled = set(control.read_text().split()) if control.exists() else set()
    missing = [c for c in CONTROLLERS if c not in enabled]
    if missing:
        control.write_text(" ".join(f"+{c}" for c in missing))


def _write_if_possible(path, value):
    try:
        path.write_text(value)
    except OSError:  # e.g. memory.swap.max, on a kernel without swap accounting
        pass


def remove(folders):
    for d in folders:
        try:
            Path(d).rmdir()
        except OSError:
            pass


def report(v, folders):
    """Why a kernel may have died, from its cgroups: {"oom": memory-limit events, "fork_refused": refused forks}."""
    found = {}
    for d in map(Path, folders):
        if v == 2:
            found["oom"] = _counter(d / "memory.events", "oom_kill")
            found["fork_refused"] = _counter(d / "pids.events", "max")
        elif d.parent.name == "memory":
            found["oom"] = _last_number(d / "memory.failcnt")
        else:
            found["fork_refused"] = _last_number(d / "pids.events")
    return {k: v for k, v in found.items() if v is not None}


def _counter(path, key):
    """The value of `key` in a flat-keyed cgroup file ("key value" lines)."""
    try:
        pairs = dict(line.split() for line in path.read_text().splitlines() if line.strip())
        return int(pairs[key])
    except (OSError, ValueError, KeyError):
        return None


def _last_number(path):
    try:
        return int(path.read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None
