"""The course's nbgrader preprocessors (nbgrader_config.py puts them into `nbgrader autograde`).

Before the notebook runs (sanitize):
- RestoreTestCells: every cell gets back the nbgrader metadata the instructor gave it and loses any other
  metadata (tags that change how a cell runs), and deleted test cells come back; then nbgrader's
  OverwriteCells restores the source and type of every test cell (DeduplicateIds has dropped duplicates).
- FlagExtraFiles: files handed in beside the notebook are flagged (nothing copies them; the kernel never
  sees them).
After it ran:
- VerifyChecks: every test cell is decided by rnngrade.verify, from results checked outside the kernel.
"""

from pathlib import Path

from nbformat.v4 import new_code_cell, new_markdown_cell, new_output
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution

from .flags import add_flag
from .submission import entries, kind_problem
from .verify import verify_cell

# Cell metadata that nbgrader and the notebook format need; everything else is dropped before grading.
KEPT_CELL_METADATA = {"nbgrader", "deletable", "editable"}


class RestoreTestCells(NbGraderPreprocessor):
    """Give every cell back the metadata the instructor gave it, and put back test cells that were deleted.

    - The nbgrader metadata of every cell whose grade_id the gradebook knows is rewritten from the gradebook:
      a test cell re-tagged as an ordinary one, or given other points, is a test cell again.
    - All other cell metadata is dropped (tags such as skip-execution or raises-exception change how it runs).
    - A deleted test cell is re-inserted after the nearest earlier cell that is still there. (nbgrader's own
      add_missing_cells fails when that cell is neither a solution nor a test, as check cells are.)
    """

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            source = gb.find_notebook(info["notebook"], info["assignment"])
            answers = {c.name for c in source.solution_cells}
            points = {c.name: c.max_score for c in source.grade_cells}
            known = {c.name: (c.cell_type, c.locked, c.source) for c in source.source_cells}
            order = [c.name for c in source.source_cells]

        def canonical(name):
            meta = {"grade": name in points, "grade_id": name, "locked": known[name][1], "schema_version": 3,
                    "solution": name in answers, "task": False}
            if name in points:
                meta["points"] = points[name]
            return meta

        duplicates = 0
        for cell in nb.cells:
            name = cell.metadata.get("nbgrader", {}).get("grade_id")
            for key in set(cell.metadata) - KEPT_CELL_METADATA:
                del cell.metadata[key]
            if name in known:
                cell.metadata["nbgrader"] = canonical(name)
            elif "nbgrader" in cell.metadata:  # a copy DeduplicateIds emptied, or an id the course never had
                duplicates += cell.metadata["nbgrader"] == {}
                del cell.metadata["nbgrader"]
        if duplicates:
            add_flag(nb, "duplicated-cells", f"{duplicates} duplicated nbgrader cell(s) were graded as plain cells")

        present = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells]
        restored = []
        for k, name in enumerate(order):
            if name in present or name not in points or name in answers:
                continue
            before = [n for n in order[:k] if n in present]
            at = present.index(before[-1]) + 1 if before else 0
            cell_type, _, text = known[name]
            make = new_code_cell if cell_type == "code" else new_markdown_cell
            nb.cells.insert(at, make(text, metadata={"nbgrader": canonical(name)}))
            present.insert(at, name)
            restored.append(name)
        if restored:
            add_flag(nb, "restored-tests", f"deleted test cells were put back: {', '.join(restored)}")
        return nb, resources


class FlagExtraFiles(NbGraderPreprocessor):
    """Flag what was handed in beside the assignment's notebooks: plain files as extra, links, pipes, devices,
    sockets and folders as unsafe. None of them is copied, opened or followed (rnngrade.submission)."""

    listed = 20  # names per flag; the rest are counted

    def preprocess(self, nb, resources):
        folder = resources.get("metadata", {}).get("path", ".")
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            own = {f"{n.name}.ipynb" for n in gb.find_assignment(info["assignment"]).notebooks}
        found = entries(folder, keep={name for name in own if kind_problem(Path(folder) / name) is None})
        extra = [name for name, why in found if why is None]
        unsafe = [f"{name} {why}" for name, why in found if why is not None]
        if extra:
            add_flag(nb, "extra-files", f"handed in beside the notebook and ignored: {self._list(extra, ', ')}")
        if unsafe:
            add_flag(nb, "unsafe-files", f"not copied, opened or followed: {self._list(unsafe, '; ')}")
        return nb, resources

    def _list(self, items, sep):
        more = f"{sep}and {len(items) - self.listed} more" if len(items) > self.listed else ""
        return sep.join(items[: self.listed]) + more


class VerifyChecks(NbGraderPreprocessor):
    """nbgrader gives a test cell its points when its outputs hold no error. This replaces each test cell's
    outputs with rnngrade.verify's verdict: one line on success, or one error that says what is wrong."""

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
