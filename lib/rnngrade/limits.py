"""The limits a kernel runs under, and which of them hold on this machine.

Always: CPU time, open files, file size and no core dumps (rlimits), and a wall clock (rnngrade.sandbox).
Memory and processes, in order of preference:
- cgroup v2 or v1 (rnngrade.cgroups), where the grader can make cgroups;
- else, when the grader is root, rlimits for a user of the kernel's own: the sandbox starts the kernel as
  uid RNNGRADE_UID_BASE + the launcher's pid, a uid no other process has (the launcher lives as long as its
  kernel, so no two kernels share one), and RLIMIT_NPROC, which counts per user and which root ignores, binds;
- else rlimits as the grader's own user (its processes count against the same limit), or, for a root that
  cannot start a kernel as another user, as root: no process limit at all (weak).
Without cgroups, memory is capped as address space (RLIMIT_AS). RNNGRADE_CGROUPS=0 skips cgroups.
"""

import os
import resource
import shutil
from dataclasses import dataclass, fields

from . import cgroups

UID_BASE = 1_900_000_000  # far above regular users and systemd's ranges for services and containers

DESCRIPTIONS = {
    "cgroup-v2": "cgroup v2 (memory, processes)",
    "cgroup-v1": "cgroup v1 (memory, processes)",
    "user": "rlimits as uid {uid}, a user of the kernel's own (processes, address space)",
    "grader": "rlimits as the grader's uid {uid} (address space; processes counted with the grader's own)",
    "root": "WEAK: rlimits as root, which has no process limit (address space only)",
    "none": "none: the sandbox was off",
}


@dataclass
class Limits:
    wall_seconds: int = 600  # the whole notebook, kernel start included
    cpu_seconds: int = 300
    memory_bytes: int = 3 * 2**30
    processes: int = 64  # threads count too
    open_files: int = 256
    file_bytes: int = 64 * 2**20

    @classmethod
    def from_env(cls):
        """RNNGRADE_<FIELD> variables override the defaults (e.g. RNNGRADE_WALL_SECONDS=60)."""
        return cls(**{f.name: int(os.environ[f"RNNGRADE_{f.name.upper()}"]) for f in fields(cls)
                      if f"RNNGRADE_{f.name.upper()}" in os.environ})


def describe(held):
    """A line for the report from what `apply` returned."""
    return DESCRIPTIONS[held["mode"]].format(uid=held.get("uid"))


def apply(name, limits):
    """Put this process (the launcher, which becomes the kernel) under the strongest limits it can have.

    Returns what holds: {"mode": one of DESCRIPTIONS, "cgroups": [folders], "uid": the kernel's uid if it
    is another user's}. For mode "user" the sandbox still has to start the kernel as that uid."""
    joined = cgroups.join(name, limits, os.getpid()) if os.environ.get("RNNGRADE_CGROUPS", "1") != "0" else None
    if joined:
        held = {"mode": f"cgroup-v{joined[0]}", "cgroups": joined[1]}
    elif os.geteuid() == 0 and shutil.which("setpriv"):
        held = {"mode": "user", "uid": int(os.environ.get("RNNGRADE_UID_BASE", UID_BASE)) + os.getpid()}
    else:
        held = {"mode": "root" if os.geteuid() == 0 else "grader", "uid": os.getuid()}
    _set_rlimits(limits, with_cgroups=joined is not None)
    return held


def _set_rlimits(limits, with_cgroups):
    for name, value in (("RLIMIT_CPU", limits.cpu_seconds), ("RLIMIT_NOFILE", limits.open_files),
                        ("RLIMIT_FSIZE", limits.file_bytes), ("RLIMIT_CORE", 0)):
        resource.setrlimit(getattr(resource, name), (value, value))
    if not with_cgroups:  # RLIMIT_NPROC binds all but root; address space is not memory, but caps it
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
