"""A sandbox for every submission's kernel: nothing of the grader or of other students is in view.

`SandboxKernelManager` (set as nbgrader's kernel manager in nbgrader_config.py) starts each kernel through
`python -m rnngrade.sandbox`, which, before it becomes the kernel:
- puts itself in fresh cgroups (pids, memory) where it can, and sets rlimits (CPU time, open files, file
  size, core dumps; processes and address space where there are no cgroups);
- execs `timeout` (a wall-clock limit for the whole notebook) and `bwrap`, which gives the kernel
  no network, its own pid/ipc/uts namespaces, a read-only view of the system, Python and rnncheck, of rnnlib
  only what its assignment builds on (rnngrade.kernel_view), an empty /tmp, and one writable folder of its own
  (the scratch copy) as its working directory.
The kernel talks to nbgrader over IPC sockets in a folder bound into the sandbox: with the network
unshared, loopback TCP would not reach it.
"""

import argparse
import os
import resource
import shutil
import sys
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Unicode

import rnncheck

from .kernel_view import package_dirs, view_args

CGROUP_ROOT = Path("/sys/fs/cgroup")


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


class SandboxKernelManager(AsyncKernelManager):
    """An nbclient kernel manager whose kernels run in the sandbox, one private folder each."""

    assignment = Unicode("", help="The assignment being graded: it decides what of rnnlib the kernel sees.")

    def __init__(self, **kwargs):
        if shutil.which("bwrap") is None:
            raise RuntimeError("the grading sandbox needs bubblewrap: install it (apt-get install bubblewrap), or "
                               "run `make test` once as root, which does")
        super().__init__(**kwargs)
        self.box = Path(tempfile.mkdtemp(prefix="rnngrade-"))
        (self.box / "sockets").mkdir()
        (self.box / "scratch").mkdir()
        self.transport = "ipc"
        self.connection_file = str(self.box / "sockets" / "kernel.json")
        self.ip = str(self.box / "sockets" / "kernel")

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        # -I: the launcher runs outside the sandbox, in the submission's folder; never import from there.
        return [sys.executable, "-I", "-m", "rnngrade.sandbox", "--box", str(self.box),
                "--assignment", self.assignment, "--", *cmd]

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            remove_cgroups(self.box.name)
            shutil.rmtree(self.box, ignore_errors=True)


def cgroup_dirs(name):
    return [CGROUP_ROOT / controller / name for controller in ("pids", "memory")]


def join_cgroups(name, limits):
    """Put this process (and so the kernel it becomes) into new pids and memory cgroups; False if we can't."""
    try:
        pids, memory = cgroup_dirs(name)
        for d in (pids, memory):
            d.mkdir()
        (pids / "pids.max").write_text(str(limits.processes))
        (memory / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
        for d in (pids, memory):
            (d / "cgroup.procs").write_text(str(os.getpid()))
        return True
    except OSError:
        return False


def remove_cgroups(name):
    for d in cgroup_dirs(name):
        try:
            d.rmdir()
        except OSError:
            pass


def cgroup_report(name):
    """Why a kernel may have died: memory limit hits and refused forks, from its cgroups."""
    pids, memory = cgroup_dirs(name)
    report = {}
    for key, path in (("oom", memory / "memory.failcnt"), ("fork_refused", pids / "pids.events")):
        try:
            text = path.read_text().split()
            report[key] = int(text[-1])
        except (OSError, ValueError, IndexError):
            pass
    return report


def set_rlimits(limits, with_cgroups):
    for name, value in (("RLIMIT_CPU", limits.cpu_seconds), ("RLIMIT_NOFILE", limits.open_files),
                        ("RLIMIT_FSIZE", limits.file_bytes), ("RLIMIT_CORE", 0)):
        resource.setrlimit(getattr(resource, name), (value, value))
    if not with_cgroups:  # weaker: root ignores RLIMIT_NPROC, and address space is not memory
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))


def bwrap_args(box, readable, view=()):
    """readable: folders shown read-only; view: bwrap arguments that follow them (what they must not show)."""
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for path in ("/usr", "/bin", "/lib", "/lib64", "/etc/ld.so.cache", "/etc/localtime", "/etc/fonts", *readable):
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    args += list(view)
    for path in (box / "sockets", box / "scratch"):
        args += ["--bind", str(path), str(path)]
    return args + ["--chdir", str(box / "scratch")]


def readable_paths():
    """Python itself and the environment's packages (in which a regular install of the course's packages lies,
    hidden by rnngrade.kernel_view), and rnncheck: nothing else of the course, none of the grader."""
    return [sys.base_prefix, sys.prefix, str(Path(rnncheck.__file__).parent)]


def kernel_env():
    """A clean environment: nothing of the grader's leaks in but the machine's own OpenBLAS settings."""
    env = {"HOME": "/tmp", "PATH": f"{sys.prefix}/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
           "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/tmp", "PYTHONDONTWRITEBYTECODE": "1",
           # One thread each: threads count against the process limit, and grading runs many kernels.
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    # Some machines set these to keep OpenBLAS on a kernel that is safe for their processor.
    env.update({k: v for k, v in os.environ.items() if k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")})
    return env


def main(argv=None):
    parser = argparse.ArgumentParser(description="Start a kernel inside the grading sandbox.")
    parser.add_argument("--box", required=True, type=Path)
    parser.add_argument("--assignment", default="", help="decides what of rnnlib the kernel sees")
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    limits = Limits.from_env()
    with_cgroups = join_cgroups(args.box.name, limits)
    set_rlimits(limits, with_cgroups)
    readable = readable_paths()
    view = view_args(args.assignment, args.box, readable, package_dirs())
    full = ["timeout", "--signal=KILL", str(limits.wall_seconds), *bwrap_args(args.box, readable, view), "--", *cmd]
    # The kernel's own stdout carries only its start-up banner (cell output goes over its sockets).
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    os.execvpe(full[0], full, kernel_env())


if __name__ == "__main__":
    main()
