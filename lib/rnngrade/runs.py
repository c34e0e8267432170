"""One grading process that grades submissions one at a time, each through nbgrader's own `autograde`.

    python -m rnngrade.runs ASSIGNMENT [nbgrader autograde options] < student ids, one a line

For each id it reads, it runs nbgrader's AutogradeApp with the course's configuration and `--student=ID`
(the same as `nbgrader autograde ASSIGNMENT --student=ID`, without starting Python and nbgrader again), and
writes one JSON line {"student", "status", "complete"} to its standard output; everything else it prints goes
to standard error. A grading that lost a race for the gradebook ("database is locked") is done again.
rnngrade.parallel keeps several of these busy; a Dask task runs one for a single id.
"""

import json
import logging
import os
import shutil
import sys
from pathlib import Path

from .report import COMPLETE

RETRIES = 3
LOCKED = "database is locked"


def _incomplete_removed(root, assignment, student):
    """Remove the student's autograded folder if its grading did not finish (a killed worker, a lost race),
    so that nbgrader grades it again: the same grading can run twice and give the same result."""
    folder = Path(root) / "autograded" / student / assignment
    if folder.is_dir() and not folder.is_symlink() and not folder.parent.is_symlink() \
            and not (folder / COMPLETE).exists():
        shutil.rmtree(folder)


class _Seen(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.text = []

    def emit(self, record):
        self.text.append(record.getMessage() + (str(record.exc_info[1]) if record.exc_info else ""))


def grade(root, assignment, student, options=()):
    """Grade one submission in this process; returns nbgrader's exit status (0: graded)."""
    from nbgrader.apps.autogradeapp import AutogradeApp

    for _ in range(RETRIES):
        _incomplete_removed(root, assignment, student)
        app, seen = AutogradeApp(), _Seen()
        try:
            app.initialize([assignment, f"--student={student}", *options])
            app.log.addHandler(seen)
            app.start()
            status = 0
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) else 1
        finally:
            app.log.removeHandler(seen)
            app.clear_instance()
        if not any(LOCKED in text for text in seen.text):
            return status
    return status


def complete(root, assignment, student):
    return (Path(root) / "autograded" / student / assignment / COMPLETE).exists()


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    assignment, options = args[0], args[1:]
    # Results go to the real standard output alone: whatever nbgrader or a hook prints goes to stderr.
    results = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    root = Path.cwd()
    for line in sys.stdin:
        student = line.rstrip("\n")
        if not student:
            continue
        status = grade(root, assignment, student, options)
        results.write(json.dumps({"student": student, "status": status,
                                  "complete": complete(root, assignment, student)}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
