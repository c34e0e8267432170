"""Grading an assignment the gradebook does not know yet: its entry is made from solutions/ first.

nbgrader's autograde needs the assignment, its notebooks and cells in the gradebook, which only
`nbgrader generate_assignment` writes. exercises/ is committed already generated, so an instructor who only
releases never runs it, and autograde then fails on every submission. AutogradeExporter (the exporter of
`nbgrader autograde`, built before any submission is graded) runs generate_assignment's database step for each
assignment missing: the release it writes goes to a temporary folder, so exercises/ is left as it is.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from .database import db_url
from .submission import SubmissionExporter


class NotInGradebook(LookupError):
    pass


def not_in_gradebook(assignment):
    return NotInGradebook(f"{assignment} is not in the gradebook: run `nbgrader autograde {assignment}` (which adds "
                          f"it from solutions/) or `nbgrader generate_assignment {assignment} --force`")


def known(db_url, assignment):
    with Gradebook(db_url) as gb:
        try:
            gb.find_assignment(assignment)
            return True
        except MissingEntry:
            return False


def add_to_gradebook(coursedir, assignment, log):
    """Write the gradebook entry of `assignment` from its source notebooks, as generate_assignment does."""
    source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
    if not source.is_dir():
        log.error("%s is in neither the gradebook nor %s", assignment, source)
        return
    log.warning("%s is not in the gradebook yet: adding it from %s", assignment, source)
    with tempfile.TemporaryDirectory(prefix="rnngrade-release-") as scratch:
        result = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment,
                                 f"--CourseDirectory.release_directory={scratch}", "--log-level=ERROR"],
                                cwd=coursedir.root, capture_output=True, text=True)
    if result.returncode != 0:
        log.error("generate_assignment %s failed:\n%s", assignment, result.stdout + result.stderr)


def add_missing(root, assignment):
    """Before gradings run side by side: the gradebook made and the assignment in it, once (each grading
    would otherwise try to add it at the same time). True if the assignment is in the gradebook."""
    url = db_url(root)
    if known(url, assignment):
        return True
    with tempfile.TemporaryDirectory(prefix="rnngrade-release-") as scratch:
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment,
                        f"--CourseDirectory.release_directory={scratch}", "--log-level=ERROR"], cwd=root)
    if known(url, assignment):
        return True
    print(not_in_gradebook(assignment), file=sys.stderr)
    return False


class AutogradeExporter(SubmissionExporter):
    """SubmissionExporter that first puts every assignment it is about to grade into the gradebook."""

    def __init__(self, *args, **kwargs):
        parent = kwargs.get("parent")
        if parent is not None and hasattr(parent, "assignments"):
            for name in sorted({Path(folder).name for folder in parent.assignments}):
                if not known(parent.coursedir.db_url, name):
                    add_to_gradebook(parent.coursedir, name, parent.log)
        super().__init__(*args, **kwargs)
