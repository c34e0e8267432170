"""The nbgrader preprocessor that decides every test cell from verified results, not from the kernel's word.

nbgrader gives a test cell its points when its outputs hold no error. After the notebook has run, this
preprocessor replaces each test cell's outputs with the verdict of rnngrade.verify: a short success line,
or one error that says what is wrong. So a student's code cannot earn points by hiding errors (patched
asserts, exception handlers, emptied cells), and harmless warnings on stderr cost nothing.
"""

from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution

from .verify import verify_cell


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
            self.log.info("%s: %s", grade_id, "; ".join(failures))
            cell.outputs = [new_output("error", ename="CheckFailed", evalue="\n".join(failures),
                                       traceback=["CheckFailed: " + "\n".join(failures)])]
        else:
            names = ", ".join(dict.fromkeys(call.name for call in calls))
            cell.outputs = [new_output("stream", name="stdout", text=f"verified: {names}\n")]
        return cell, resources
