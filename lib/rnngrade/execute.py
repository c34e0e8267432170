"""nbgrader's Execute, hardened: sandboxed kernels, a budget for the whole notebook, capped output, and a
kernel that dies costs only the cell it died in.

When the kernel dies (os._exit, a crash, the memory or process limit) or a cell runs longer than `timeout`,
that cell gets an error, a new kernel replays the cells before it that are not tests (so the student's
definitions are back), and grading goes on with the next cell. After `max_restarts` lost kernels, or when
the notebook's time is up, the remaining cells are marked as not run. Every such event is flagged for the
report. Cells after the last test cell are not run: they cannot change a grade.
"""

import json
import shutil
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_solution
from traitlets import Bool, Integer

from rnncheck.check import MIME

from .flags import add_flag, cell_name
from .limits import DESCRIPTIONS, describe
from .sandbox import SandboxKernelManager


def is_test(cell):
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def error(ename, message):
    return new_output("error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])


class SandboxedExecute(Execute):
    notebook_timeout = Integer(300, help="Seconds for the whole notebook (kernel restarts included).").tag(config=True)
    max_restarts = Integer(3, help="Kernel deaths tolerated before the rest of the notebook is given up.").tag(
        config=True)
    max_output_bytes = Integer(200_000, help="Output kept per cell; the rest is dropped and flagged.").tag(config=True)
    sandbox = Bool(True, help="Run kernels in the sandbox (turn off only to measure what it costs).").tag(
        config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # After super(): nbgrader's Execute passes its own kernel manager class as an argument.
        self.kernel_manager_class = SandboxKernelManager if self.sandbox else AsyncKernelManager
        self.shutdown_kernel = "immediate"  # nothing in a student's kernel needs a polite goodbye
        # A cell that runs too long loses its kernel, like one that crashes: interrupts do not cross the
        # sandbox's process namespace reliably, and a fresh kernel always works.
        self.interrupt_on_timeout = False

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        assignment = self.resources.get("nbgrader", {}).get("assignment", "")
        if isinstance(km, SandboxKernelManager):
            km.assignment = assignment  # what of rnnlib its kernel sees (rnngrade.kernel_view)
        # The kernel's working folder: the release's data files, never the student's extra files.
        release = Path.cwd() / "exercises" / assignment
        if isinstance(km, SandboxKernelManager) and assignment and release.is_dir():
            for path in release.iterdir():
                if path.is_file() and path.suffix != ".ipynb":
                    shutil.copy(path, km.box / "scratch" / path.name)
        return km

    def preprocess(self, nb, resources=None, km=None):
        from nbclient import NotebookClient

        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        deadline = time.monotonic() + self.notebook_timeout
        self._output_bytes = {}
        done, dead, restarts = 0, set(), 0  # cells run so far; cells that lost the kernel; kernels lost
        # Cells after the last test cannot change a grade (a closing demo, a plot): they are not run.
        end = max((i + 1 for i, c in enumerate(nb.cells) if is_test(c)), default=len(nb.cells))
        while done < end:
            with self.setup_kernel():
                info_msg = self.wait_for_reply(self.kc.kernel_info())
                nb.metadata["language_info"] = info_msg["content"]["language_info"]
                self._record_limits(nb)
                # After a restart, replay the definitions (not the tests) of the cells already run.
                replay = [i for i in range(done) if nb.cells[i].cell_type == "code" and i not in dead
                          and not is_test(nb.cells[i])]
                current = None
                try:
                    for current in replay:
                        self.preprocess_cell(nb.cells[current], resources, current)
                    while done < end:
                        if time.monotonic() > deadline:
                            self._give_up(nb, done, f"the notebook ran out of time ({self.notebook_timeout} s)")
                            return nb, self.resources
                        current = done
                        self.preprocess_cell(nb.cells[current], resources, current)
                        done += 1
                except (DeadKernelError, CellTimeoutError) as err:
                    # The kernel died, or a cell ran too long: either way, on with a new kernel.
                    self._lost_kernel(nb, current, err)
                    dead.add(current)
                    done = max(done, current + 1)
                    restarts += 1
                    if restarts > self.max_restarts:
                        self._give_up(nb, done, f"the kernel was lost {restarts} times")
                        return nb, self.resources
        self.set_widgets_metadata()
        return nb, self.resources

    def _record_limits(self, nb):
        """Which limits held this kernel, for the report (each kernel of the notebook, if they differ)."""
        if isinstance(self.km, SandboxKernelManager):
            held = self.km.limits_held()
            text = describe(held) if held else "unknown: the sandbox recorded nothing"
        else:
            text = DESCRIPTIONS["none"]
        limits = nb.metadata.setdefault("rnngrade", {}).setdefault("limits", [])
        if text not in limits:
            limits.append(text)

    def _lost_kernel(self, nb, index, err):
        cell = nb.cells[index]
        if isinstance(err, DeadKernelError):
            kind, reason = "kernel-died", self._death_reason()
        else:
            kind, reason = "timeout", f"it ran longer than {self.timeout} s"
        cell.outputs.append(error("KernelDied" if kind == "kernel-died" else "Timeout",
                                  f"the kernel was lost while running this cell: {reason}"))
        add_flag(nb, kind, reason, cell_name(cell, index))

    def _death_reason(self):
        report = self.km.death_report() if isinstance(self.km, SandboxKernelManager) else {}
        if report.get("oom"):
            return "it reached the memory limit"
        if report.get("fork_refused"):
            return "it reached the limit on processes"
        return "it exited or crashed"

    def _give_up(self, nb, start, reason):
        skipped = [cell_name(c, i) for i, c in enumerate(nb.cells) if i >= start and c.cell_type == "code"]
        for cell in nb.cells[start:]:
            if cell.cell_type == "code":
                cell.outputs = [error("NotRun", f"not run: {reason}")]
        add_flag(nb, "incomplete", f"{reason}; not run: {', '.join(skipped) or 'nothing'}")

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        is_check = MIME in msg.get("content", {}).get("data", {})
        used = self._output_bytes.get(cell_index, 0)
        if not is_check:
            self._output_bytes[cell_index] = used + size
            if used + size > self.max_output_bytes:
                if used <= self.max_output_bytes:
                    outs.append(new_output("stream", name="stdout",
                                           text=f"\n[output cut: more than {self.max_output_bytes} bytes]\n"))
                    add_flag(self.nb, "output-flood", f"more than {self.max_output_bytes} bytes of output",
                             cell_name(self.nb.cells[cell_index], cell_index))
                return None
        return super().output(outs, msg, display_id, cell_index)
