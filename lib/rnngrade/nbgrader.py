"""The course's nbgrader preprocessors and hooks (nbgrader_config.py puts them into `nbgrader autograde`).

Before the notebook runs (sanitize):
- RestoreTestCells: no cell keeps tags or other metadata that would change how it runs (skip-execution,
  raises-exception, ...); nbgrader's own OverwriteCells has restored the source, type and points of every
  test cell, re-added deleted ones, and DeduplicateIds has dropped duplicates.
- FlagExtraFiles: files handed in beside the notebook are flagged (the kernel never sees them).
After it ran:
- VerifyChecks: every test cell is decided by rnngrade.verify, from results checked outside the kernel.
"""

from pathlib import Path

from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution

from .flags import add_flag
from .verify import verify_cell

# Cell metadata that nbgrader and the notebook format need; everything else is dropped before grading.
KEPT_CELL_METADATA = {"nbgrader", "deletable", "editable"}


class RestoreTestCells(NbGraderPreprocessor):
    def preprocess_cell(self, cell, resources, index):
        for key in set(cell.metadata) - KEPT_CELL_METADATA:
            del cell.metadata[key]
        return cell, resources


class FlagExtraFiles(NbGraderPreprocessor):
    def preprocess(self, nb, resources):
        folder = Path(resources.get("metadata", {}).get("path", "."))
        extra = sorted(p.name for p in folder.iterdir() if p.suffix != ".ipynb") if folder.is_dir() else []
        if extra:
            add_flag(nb, "extra-files", f"handed in beside the notebook and ignored: {', '.join(extra)}")
        return nb, resources


class VerifyChecks(NbGraderPreprocessor):
    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not is_grade(cell) or is_solution(cell):
            return cell, resources
        grade_id = cell.metadata.nbgrader.get("grade_id", f"cell {index}")
        try:
            calls, failures = verify_cell(cell.source, cell.outputs)
        except (SyntaxError, ValueError, KeyError) as err:
            calls, failures = [], [f"the test cell could not be read: {err}"]
        if not calls and not failures:
            # A test cell without checks keeps nbgrader's own rule: only its errors count.
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")]
            return cell, resources
        if failures:
            raised = [f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"]
            if raised and "did not run" in failures[-1]:
                failures.append(f"(the cell raised {raised[-1]})")
            self.log.info("%s: %s", grade_id, "; ".join(failures))
            cell.outputs = [new_output("error", ename="CheckFailed", evalue="\n".join(failures),
                                       traceback=["CheckFailed: " + "\n".join(failures)])]
        else:
            names = ", ".join(dict.fromkeys(call.name for call in calls))
            cell.outputs = [new_output("stream", name="stdout", text=f"verified: {names}\n")]
        return cell, resources
