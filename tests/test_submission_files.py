"""A submission's files are untrusted: nothing in them makes the grader read, copy, write or delete outside the
submission, or hang. Each submission is an archive as an LMS hands it over, unpacked the way an instructor
would (GNU `tar -x`, Info-ZIP `unzip`, Python's extractors), then one batch of ex03_gates is graded with the
course's configuration and its feedback generated.

What the extractors already refuse: GNU tar drops `../` members and strips a leading `/`, but restores
symbolic links to anywhere, named pipes and (as root) devices; `unzip` strips `../` and `/` but restores
symbolic links; Python's zipfile writes a link as a plain file holding its target; Python's tarfile with its
default filter (3.11) makes hard links to files outside, which filter="data" refuses.
"""

import csv
import hashlib
import io
import os
import socket
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import nbformat
import pytest
from exercise_course import ROOT, cell_scores, completed, new_course

from rnngrade.autograde import incomplete

pytestmark = pytest.mark.batch  # grades a class with nbgrader

A = "ex03_gates"
FULL = 15
SECRET = "canary-3f9d2c71-the-grader-must-never-read-this"
LIMITS = ["--SandboxedExecute.timeout=20", "--SandboxedExecute.notebook_timeout=120"]


def tar_archive(path, members):
    """members: (name, kind, payload): kind "file" (bytes), "dir", "symlink" or "hardlink" (target), "fifo",
    "chardev" ((major, minor))."""
    types = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
             "hardlink": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE, "chardev": tarfile.CHRTYPE}
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tar:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            info.type, info.mode = types[kind], 0o755 if kind == "dir" else 0o644
            if kind in ("symlink", "hardlink"):
                info.linkname = payload
            if kind == "chardev":
                info.devmajor, info.devminor = payload
            data = payload if kind == "file" else b""
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def zip_archive(path, members):
    """members: (name, kind, payload): kind "file" (bytes) or "symlink" (target, marked as on Unix)."""
    with zipfile.ZipFile(path, "w") as z:
        for name, kind, payload in members:
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (0o120777 if kind == "symlink" else 0o100644) << 16
            z.writestr(info, payload.encode() if kind == "symlink" else payload)
    return path


def unpack(archive, dest, how):
    dest.mkdir(parents=True, exist_ok=True)
    if how == "tar":  # exit 2: members it refused (../, a device when not root)
        result = subprocess.run(["tar", "-x", "-f", str(archive), "-C", str(dest)], capture_output=True)
        assert result.returncode in (0, 2), result.stderr
    elif how == "unzip":  # exit 1: warnings (stripped ../ and /)
        result = subprocess.run(["unzip", "-q", "-o", str(archive), "-d", str(dest)], capture_output=True)
        assert result.returncode in (0, 1), result.stderr
    elif how == "zipfile":
        with zipfile.ZipFile(archive) as z:
            z.extractall(dest)
    elif how == "tarfile":  # Python 3.11's default: every member as it is
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="fully_trusted")


def snapshot(folder):
    """{relative path: (kind, sha256 or link target, mtime)} of everything under `folder`, following nothing."""
    state = {}
    for dirname, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirname) / name
            st = path.lstat()
            if path.is_symlink():
                content = os.readlink(path)
            elif path.is_file():
                content = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                content = "dir"
            state[str(path.relative_to(folder))] = (content, st.st_mtime_ns)
    return state


def plain_files(folder):
    for dirname, _, filenames in os.walk(folder):
        for name in filenames:
            path = Path(dirname) / name
            if path.is_file() and not path.is_symlink():
                yield path


def submissions(course, outside, archives):
    """Build every student's archive and unpack it; {student: expected score or None, reason in the report}."""
    nb = nbformat.writes(completed(course, A)).encode()
    solution = str(course / "solutions" / A / f"{A}.ipynb")
    own = Path("submitted")  # archives for the class unpack into submitted/, the others into the student's
    hostile_extras = [
        (f"{A}.ipynb", "file", nb),
        ("secret.txt", "symlink", str(outside / "secret.txt")),
        ("up.txt", "symlink", "../../../gradebook.db"),
        ("solutions", "symlink", str(course / "solutions")),
        ("victim", "symlink", str(outside / "victim")),
        ("zero", "symlink", "/dev/zero"),
        ("pipe", "fifo", None),
        ("timestamp.txt", "fifo", None),
        ("dev-zero", "chardev", (1, 5)),
        ("../../../../outside/escaped.txt", "file", b"out"),
        (str(outside / "abs-escaped.txt"), "file", b"out"),
        ("line\nbreak.txt", "file", b"x"),
        ("-rf", "file", b"x"),
        ("L" * 200 + ".txt", "file", b"x"),
        ("caf\udce9.txt", "file", b"x"),
        (".hidden", "file", b"x"),
        ("data/inner.txt", "file", b"x"),
        ("ex03_gat\u0435s.ipynb", "file", nb),  # a Cyrillic e: another notebook, never graded
    ]
    plan = {
        "correct": ("zipfile", None, [(f"{A}.ipynb", "file", nb)], FULL, None),
        "extras": ("tar", None, hostile_extras, FULL, "named pipe"),
        "zip-extras": ("unzip", None, [(f"{A}.ipynb", "file", nb), ("leak.txt", "symlink", str(outside / "secret.txt")),
                                       ("../../../../outside/zip-escaped.txt", "file", b"out"),
                                       (str(outside / "zip-abs.txt"), "file", b"out")], FULL, "symbolic link"),
        "timestamp-link": ("tar", None, [(f"{A}.ipynb", "file", nb),
                                         ("timestamp.txt", "symlink", str(outside / "secret.txt"))],
                           FULL, "timestamp.txt is a symbolic link"),
        "feedback-link": ("zipfile", None, [(f"{A}.ipynb", "file", nb)], FULL, None),
        "zip-link": ("unzip", None, [(f"{A}.ipynb", "symlink", f"../../../solutions/{A}/{A}.ipynb")],
                     None, "symbolic link"),
        "tar-link": ("tar", None, [(f"{A}.ipynb", "symlink", solution)], None, "symbolic link"),
        "tar-link-up": ("tar", None, [(f"{A}.ipynb", "symlink", "../../../gradebook.db")], None, "symbolic link"),
        "zip-python": ("zipfile", None, [(f"{A}.ipynb", "symlink", solution)], None, "not valid JSON"),
        "hardlink": ("tarfile", None, [(f"{A}.ipynb", "hardlink", f"../../../solutions/{A}/{A}.ipynb")],
                     None, "hard link"),
        "fifo": ("tar", None, [(f"{A}.ipynb", "fifo", None)], None, "named pipe"),
        "folder-notebook": ("tar", None, [(f"{A}.ipynb/{A}.ipynb", "file", nb)], None, "is a folder"),
        "folder-link": ("tar", Path("submitted/folder-link"), [(A, "symlink", str(course / "solutions" / A))],
                        None, "symbolic link"),
        "copycat": ("tar", own, [("copycat", "symlink", "correct")], None, "symbolic link"),
        "new\nline": ("tar", own, [(f"new\nline/{A}/{A}.ipynb", "file", nb)], None, "invisible characters"),
        "*": ("tar", own, [(f"*/{A}/{A}.ipynb", "file", nb)], None, "pattern"),
    }
    expected = {}
    for student, (how, into, members, score, reason) in plan.items():
        archive = archives / f"{len(expected)}.{'zip' if 'zip' in how else 'tar'}"
        (zip_archive if "zip" in how else tar_archive)(archive, members)
        unpack(archive, course / (into or Path("submitted") / student / A), how)
        expected[student] = (score, reason)
    # A socket cannot travel in an archive, but a folder can hold one.
    sock = socket.socket(socket.AF_UNIX)
    cwd = os.getcwd()
    os.chdir(course / "submitted" / "extras" / A)
    try:
        sock.bind("sock")
    finally:
        os.chdir(cwd)
        sock.close()
    return expected


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    base = tmp_path_factory.mktemp("files")
    outside = base / "outside"
    (outside / "victim" / A).mkdir(parents=True)
    (outside / "secret.txt").write_text(SECRET)
    (outside / "victim" / "keep.txt").write_text("the instructor's")
    (outside / "victim" / A / f"{A}.ipynb").write_text("{}")
    course = new_course(base, A)
    archives = base / "archives"
    archives.mkdir()
    expected = submissions(course, outside, archives)
    before = {"outside": snapshot(outside), "solutions": snapshot(course / "solutions"),
              "repository": snapshot(ROOT / "solutions")}
    graded = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", A, *LIMITS], cwd=course,
                            capture_output=True, text=True, timeout=900)
    # A feedback folder someone left as a link: feedback must not be written through it.
    (course / "feedback").mkdir()
    (course / "feedback" / "feedback-link").symlink_to(outside / "victim")
    feedback = subprocess.run([sys.executable, "-m", "nbgrader", "generate_feedback", A], cwd=course,
                              capture_output=True, text=True, timeout=600)
    subprocess.run([sys.executable, "-m", "rnngrade.report", A], cwd=course, check=True, capture_output=True)
    with open(course / "reports" / f"{A}.csv") as f:
        report = {row["student"]: row for row in csv.DictReader(f)}
    return course, outside, expected, before, graded, feedback, report


def test_the_batch_finished_and_every_plain_submission_is_graded(batch):
    course, _, expected, _, graded, feedback, _ = batch
    scores = {s: sum(v.values()) for s, v in cell_scores(course, A).items()}
    want = {s: score for s, (score, _) in expected.items() if score is not None}
    assert {s: scores.get(s) for s in want} == want, graded.stderr[-3000:]
    assert not {s: v for s, v in scores.items() if s not in want and v}, "points for a submission left out"
    assert feedback.returncode == 0, feedback.stderr[-3000:]
    for student in set(want) - {"feedback-link"}:
        assert (course / "feedback" / student / A / f"{A}.html").is_file()


@pytest.mark.parametrize("student", ["extras", "zip-extras", "timestamp-link", "zip-link", "tar-link", "tar-link-up",
                                     "zip-python", "hardlink", "fifo", "folder-notebook", "folder-link", "copycat",
                                     "new\nline", "*"])
def test_the_report_flags_each_hostile_submission_with_its_reason(batch, student):
    _, _, expected, _, _, _, report = batch
    score, reason = expected[student]
    row = report[student.replace("\n", "\\n")]
    assert row["review"] == "yes" and reason in row["flags"], row
    assert (row["score"] == "") == (score is None), row


def test_extra_entries_are_named_with_what_they_are(batch):
    *_, report = batch
    flags = report["extras"]["flags"]
    for text in ("secret.txt is a symbolic link to", "solutions is a symbolic link", "zero is a symbolic link to "
                 "/dev/zero", "pipe is a named pipe", "timestamp.txt is a named pipe", "sock is a socket",
                 "data is a folder", "line\\nbreak.txt", "caf\\xe9.txt", "-rf", ".hidden", "ex03_gat\u0435s.ipynb"):
        assert text in flags, text
    if os.geteuid() == 0:  # tar makes device nodes only as root
        assert "dev-zero is a device" in flags


def test_nothing_outside_the_submission_was_written_deleted_or_read(batch):
    course, outside, _, before, *_ = batch
    assert snapshot(outside) == before["outside"]
    assert snapshot(course / "solutions") == before["solutions"]
    assert snapshot(ROOT / "solutions") == before["repository"]
    assert (course / "feedback" / "feedback-link").is_symlink()
    leaked = [str(p) for p in plain_files(course) if SECRET.encode() in p.read_bytes()]
    assert not leaked, f"the outside file was read into {leaked}"


def test_no_solution_reaches_autograded_or_feedback(batch):
    course, *_ = batch
    for step in ("autograded", "feedback"):
        for path in plain_files(course / step):
            text = path.read_bytes()
            assert b"BEGIN SOLUTION" not in text, path  # the instructor's notebook was read


def test_only_the_notebook_is_copied(batch):
    course, *_ = batch
    for student in ("extras", "zip-extras", "timestamp-link"):
        folder = course / "autograded" / student / A
        assert sorted(p.name for p in folder.iterdir()) == [".rnngrade-complete", f"{A}.ipynb"], student
        assert not any(p.is_symlink() for p in folder.iterdir())
    assert not (course / "autograded" / "*").exists() and not (course / "autograded" / "copycat").exists()


def test_python_tarfile_data_filter_refuses_the_hard_link(tmp_path):
    archive = tar_archive(tmp_path / "a.tar", [(f"{A}.ipynb", "hardlink", "../../secret")])
    with tarfile.open(archive) as tar, pytest.raises(tarfile.FilterError):
        tar.extractall(tmp_path / "out", filter="data")


def test_resuming_never_removes_what_a_link_points_to(tmp_path):
    outside = tmp_path / "outside"
    (outside / A).mkdir(parents=True)
    (outside / A / "keep.txt").write_text("the instructor's")
    (tmp_path / "autograded" / "real" / A).mkdir(parents=True)
    (tmp_path / "autograded" / "linked").symlink_to(outside)
    (tmp_path / "autograded" / "real" / "other").mkdir()
    (tmp_path / "autograded" / "inner").mkdir()
    (tmp_path / "autograded" / "inner" / A).symlink_to(outside / A)
    assert incomplete(tmp_path, A) == [tmp_path / "autograded" / "real" / A]
