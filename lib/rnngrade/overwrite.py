"""nbgrader's OverwriteCells, without its warning for every hidden-test cell a student left as released.

A test cell's release lacks its hidden tests, so its checksum never matches the instructor's and OverwriteCells
warns "Attribute 'checksum' for cell ... has changed!" for each of them: seven lines per untouched notebook,
hundreds per batch, hiding the warnings that matter. This one says it at debug level when the cell a student
handed in is exactly its release (the source with the hidden tests removed); any other change still warns.
"""

import copy

from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells


class QuietOverwriteCells(OverwriteCells):
    def preprocess_cell(self, cell, resources, cell_index):
        self._as_released = self._is_release(cell)
        return super().preprocess_cell(cell, resources, cell_index)

    def _is_release(self, cell):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is None:
            return False
        try:
            source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
        except Exception:  # not in the gradebook: OverwriteCells says so itself
            return False
        released = copy.deepcopy(cell)
        released.source = source.source
        if not ClearHiddenTests(parent=self)._remove_hidden_test_region(released):
            return False  # no hidden tests: a changed checksum is a real change
        return cell.source == released.source

    def report_change(self, name, attr, old, new):
        if attr == "checksum" and self._as_released:
            self.log.debug("Cell %s is as released (its hidden tests are put back)", name)
            return
        super().report_change(name, attr, old, new)
