"""Grade a batch and resume one that was interrupted: the one command nbgrader cannot be configured into.

    python -m rnngrade.autograde ASSIGNMENT [--workers [N] | --scheduler tcp://HOST:PORT [--chunk-size N]]
                                 [nbgrader autograde options]

`nbgrader autograde` skips every submission that has an autograded folder, including one whose grading was
cut off (a killed process, a power cut), which would keep a half-graded notebook. This command first removes
the autograded folders that lack the mark the course's post-convert hook leaves when a submission is fully
graded, then runs `nbgrader autograde` (hardened by nbgrader_config.py), then prints the report.

With `--workers N` (N: the number of cores if left out) it grades N submissions at once on this machine
(rnngrade.parallel); with `--scheduler` it sends the batch to a Dask cluster, a task per chunk of a few
submissions (`--chunk-size N`; by default sized for the cluster: rnngrade.cluster). Each grading is
nbgrader's `autograde --student=ID` with the same options and configuration, so the grades are those of
one `nbgrader autograde`; a progress line goes to stderr.
"""

import fnmatch
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .gradebook import NotInGradebook, add_missing
from .progress import Progress
from .report import COMPLETE, write_report
from .submission import name_problem, shown


def incomplete(root, assignment):
    """The autograded folders of gradings that were cut off. A link is never among them: what it points to
    is not the grader's to remove."""
    graded = root / "autograded"
    return sorted(d for d in graded.glob(f"*/{assignment}") if not d.parent.is_symlink() and not d.is_symlink()
                  and d.is_dir() and not (d / COMPLETE).exists())


def split_options(args):
    """(workers or None, scheduler or None, chunk size or None, the options meant for nbgrader)."""
    workers = scheduler = chunk = None
    rest, i = [], 0
    while i < len(args):
        arg = args[i]
        if arg == "--workers" or arg.startswith("--workers="):
            value = arg.partition("=")[2]
            if not value and i + 1 < len(args) and args[i + 1].isdigit():
                i, value = i + 1, args[i + 1]
            workers = int(value) if value else len(os.sched_getaffinity(0))
        elif arg == "--scheduler" or arg.startswith("--scheduler="):
            scheduler = arg.partition("=")[2] or (args[i + 1] if i + 1 < len(args) else "")
            i += 0 if "=" in arg else 1
        elif arg == "--chunk-size" or arg.startswith("--chunk-size="):
            chunk = int(arg.partition("=")[2] or (args[i + 1] if i + 1 < len(args) else "0"))
            i += 0 if "=" in arg else 1
        else:
            rest.append(arg)
        i += 1
    return workers, scheduler, chunk, rest


def to_grade(root, assignment, options):
    """The students whose submission nbgrader would grade with these options, as one run would pick them."""
    submitted = root / "submitted"
    pattern = next((o.partition("=")[2] for o in options if o.startswith(("--student=", "--CourseDirectory."
                                                                          "student_id="))), "*") or "*"
    force = "--force" in options or "--CourseDirectory.force=True" in options
    students = sorted(p.name for p in submitted.iterdir() if (p / assignment).is_dir()) if submitted.is_dir() else []
    # An id nbgrader would read as a pattern is left out, as nbgrader leaves it out; the report names it.
    return [s for s in students if not name_problem(s) and fnmatch.fnmatchcase(s, pattern)
            and (force or not (root / "autograded" / s / assignment).exists())]


def grade_batch(root, assignment, options, workers=None, scheduler=None, chunk=None):
    """Grade the batch N at a time or on a cluster; returns the exit status (1 if any grading failed)."""
    students = to_grade(root, assignment, options)
    options = [o for o in options if not o.startswith(("--student=", "--CourseDirectory.student_id="))]
    if not add_missing(root, assignment):
        return 1
    progress = Progress(len(students))
    progress.show()
    failed = []

    def on_result(result):
        bad = result["status"] != 0 or not result["complete"]
        if bad:
            failed.append(result["student"])
        progress.advance(failed=bad)

    if scheduler:
        from .cluster import grade_on_cluster

        grade_on_cluster(scheduler, root, assignment, students, options, on_result, chunk)
    else:
        from .parallel import grade_locally

        grade_locally(root, assignment, students, options, workers, on_result)
    for student in failed:
        print(f"{shown(student)}: not fully graded (see the report)", file=sys.stderr)
    return 1 if failed else 0


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0].startswith("-"):
        print("\n".join(line[4:] for line in __doc__.splitlines()[2:4]), file=sys.stderr)
        return 2
    assignment, root = args[0], Path.cwd()
    workers, scheduler, chunk, options = split_options(args[1:])
    for folder in incomplete(root, assignment):
        print(f"{shown(folder.parent.name)}: its last grading was interrupted; grading it again")
        shutil.rmtree(folder)
    if workers or scheduler:
        status = grade_batch(root, assignment, options, workers, scheduler, chunk)
    else:
        status = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", assignment, *options],
                                cwd=root).returncode
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
