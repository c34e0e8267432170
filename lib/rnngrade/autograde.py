"""Grade a batch and resume one that was interrupted: the one command nbgrader cannot be configured into.

    python -m rnngrade.autograde ASSIGNMENT [any nbgrader autograde option]

`nbgrader autograde` skips every submission that has an autograded folder, including one whose grading was
cut off (a killed process, a power cut), which would keep a half-graded notebook. This command first removes
the autograded folders that lack the mark the course's post-convert hook leaves when a submission is fully
graded, then runs `nbgrader autograde` (hardened by nbgrader_config.py), then prints the report.
"""

import shutil
import subprocess
import sys
from pathlib import Path

from .gradebook import NotInGradebook
from .report import COMPLETE, write_report
from .submission import shown


def incomplete(root, assignment):
    """The autograded folders of gradings that were cut off. A link is never among them: what it points to
    is not the grader's to remove."""
    graded = root / "autograded"
    return sorted(d for d in graded.glob(f"*/{assignment}") if not d.parent.is_symlink() and not d.is_symlink()
                  and d.is_dir() and not (d / COMPLETE).exists())


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0].startswith("-"):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    assignment, root = args[0], Path.cwd()
    for folder in incomplete(root, assignment):
        print(f"{shown(folder.parent.name)}: its last grading was interrupted; grading it again")
        shutil.rmtree(folder)
    status = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", *args], cwd=root).returncode
    try:
        table = write_report(root, assignment)
    except NotInGradebook as err:  # nbgrader said why above
        print(err, file=sys.stderr)
        return status or 1
    for row in table:
        score = "not graded" if row["score"] is None else f"{row['score']:g}/{row['max_score']:g}"
        print(f"{row['student']:24} {score:>12}  {'; '.join(f['kind'] for f in row['flags'])}")
    print(f"report: {root / 'reports' / assignment}.md")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
