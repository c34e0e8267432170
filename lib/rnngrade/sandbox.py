"""A sandbox for every submission's kernel: nothing of the grader or of other students is in view.

`SandboxKernelManager` (set as nbgrader's kernel manager in nbgrader_config.py) starts each kernel through
`python -m rnngrade.sandbox`, which, before it becomes the kernel:
- puts itself under the strongest limits it can (rnngrade.limits: cgroups v2 or v1, else rlimits for a user of
  the kernel's own) and records which hold, for the report;
- arranges to be killed when the grader ends, however it ends, and with it everything it starts;
- execs `timeout` (a wall-clock limit for the whole notebook) and `bwrap`, which gives the kernel
  no network, its own pid/ipc/uts namespaces, a read-only view of the system, Python and rnncheck, of rnnlib
  only what its assignment builds on (rnngrade.kernel_view), an empty /tmp, and one writable folder of its own
  (the scratch copy) as its working directory.
The kernel talks to nbgrader over IPC sockets in a folder bound into the sandbox: with the network
unshared, loopback TCP would not reach it.
"""

import argparse
import ctypes
import json
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Unicode

import rnncheck

from . import cgroups
from .kernel_view import package_dirs, view_args
from .limits import Limits, apply

__all__ = ["Limits", "SandboxKernelManager", "main"]

HELD = "limits.json"  # in the box, outside the kernel's view: what the launcher could put the kernel under


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
        # --grader: this process, which starts the kernel from its main thread and lives as long as the batch.
        return [sys.executable, "-I", "-m", "rnngrade.sandbox", "--box", str(self.box),
                "--assignment", self.assignment, "--grader", str(os.getpid()), "--", *cmd]

    def limits_held(self):
        """What the launcher put the kernel under (rnngrade.limits.apply), or None before it ran."""
        try:
            return json.loads((self.box / HELD).read_text())
        except (OSError, ValueError):
            return None

    def death_report(self):
        """Memory-limit events and refused forks of the kernel, where its cgroups count them."""
        held = self.limits_held() or {}
        version = {"cgroup-v1": 1, "cgroup-v2": 2}.get(held.get("mode"))
        return cgroups.report(version, held.get("cgroups", [])) if version else {}

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            cgroups.remove((self.limits_held() or {}).get("cgroups", []))
            shutil.rmtree(self.box, ignore_errors=True)


def bwrap_args(box, readable, view=(), uid=None):
    """readable: folders shown read-only; view: bwrap arguments that follow them (what they must not show);
    uid: the user to start the kernel as (see kernel_command), if not the grader's."""
    if uid is None:
        args = ["bwrap", "--unshare-all"]
    else:  # no user namespace, in which the kernel's uid would not exist; setpriv may change users, once
        args = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    # /tmp as on any system: writable by whichever user the kernel is
    args += ["--die-with-parent", "--new-session", "--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--tmpfs", "/tmp"]
    above = _Above(made=["/proc", "/dev", "/tmp"])
    for path in ("/usr", "/bin", "/lib", "/lib64", "/etc/ld.so.cache", "/etc/localtime", "/etc/fonts", *readable):
        if os.path.exists(path):
            args += [*above(path), "--ro-bind", path, path]
    args += list(view)
    for path in (box / "sockets", box / "scratch"):
        args += [*above(path), "--bind", str(path), str(path)]
    return args + ["--chdir", str(box / "scratch")]


class _Above:
    """bwrap operations that make the folders above a mount point, each once, open to every user: bwrap itself
    would make them 0700 (a kernel started as another user could then reach nothing)."""

    def __init__(self, made):
        self.made, self.bound = set(map(Path, made)), []  # folders made so far; trees bound, which hold theirs

    def __call__(self, path):
        ops = []
        for folder in reversed(Path(path).parents[:-1]):  # from the top, without "/"
            if folder not in self.made and not any(folder.is_relative_to(b) for b in self.bound):
                ops += ["--perms", "0755", "--dir", str(folder)]
                self.made.add(folder)
        self.bound.append(Path(path))
        return ops


def kernel_command(cmd, uid=None):
    """The kernel's command line, started as `uid` (and its own gid, no other groups, no capabilities) if given."""
    if uid is None:
        return list(cmd)
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all", "--no-new-privs",
            "--", *cmd]


def give_to(box, uid):
    """The kernel's folders (its sockets and connection file, its scratch copy), made its user's."""
    for folder in (box / "sockets", box / "scratch"):
        for path in [folder, *folder.rglob("*")]:
            os.chown(path, uid, uid, follow_symlinks=False)


def readable_paths():
    """Python itself and the environment's packages (in which a regular install of the course's packages lies,
    hidden by rnngrade.kernel_view), and rnncheck: nothing else of the course, none of the grader."""
    return [sys.base_prefix, sys.prefix, str(Path(rnncheck.__file__).parent)]


PR_SET_PDEATHSIG = 1


def die_with(grader):
    """Be killed when the grader ends, however it ends (SIGKILL included): the launcher becomes `timeout`, which
    keeps this across exec; bwrap --die-with-parent then ends with `timeout`, and the kernel with bwrap.
    Without it, a killed grader would leave its kernel running: jupyter_client starts each in its own session."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != grader:  # it ended before the line above
        os._exit(1)


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
    parser.add_argument("--grader", type=int, help="the grader's pid: the sandbox ends when it does")
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if args.grader is not None:
        die_with(args.grader)
    limits = Limits.from_env()
    held = apply(args.box.name, limits)
    (args.box / HELD).write_text(json.dumps(held))
    uid = held["uid"] if held["mode"] == "user" else None
    if uid is not None:
        give_to(args.box, uid)
    readable = readable_paths()
    view = view_args(args.assignment, args.box, readable, package_dirs())
    full = ["timeout", "--signal=KILL", str(limits.wall_seconds), *bwrap_args(args.box, readable, view, uid), "--",
            *kernel_command(cmd, uid)]
    # The kernel's own stdout carries only its start-up banner (cell output goes over its sockets).
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    os.execvpe(full[0], full, kernel_env())


if __name__ == "__main__":
    main()
