"""The exchange, end to end, for a mixed class: release, fetch, submit, collect, autograde, feedback.

Two students are real Unix accounts made for the test (removed after it): they run nbgrader as themselves,
from folders they own, in a students' environment they cannot write (a venv of the system's Python that reads
the course's packages), with the students' configuration (student/nbgrader_config.py) and the exchange in a
temporary folder ($RNNGRADE_EXCHANGE). A third student's notebook is dropped into submitted/ by hand.
Nothing needs `nbgrader generate_assignment`: exercises/ is used as committed.
"""

import os
import pwd
import secrets
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import nbformat
import pytest
from exercise_course import ROOT, cell_scores, completed, release_notebook, submit

pytestmark = pytest.mark.batch  # grades a class with nbgrader

A = "ex03_gates"
FULL = 15
LIMITS = ["--SandboxedExecute.timeout=20", "--SandboxedExecute.notebook_timeout=120"]

if os.geteuid() != 0 or not all(shutil.which(c) for c in ("useradd", "userdel", "runuser")):
    pytest.skip("needs root and useradd/runuser to make the students' accounts", allow_module_level=True)


def run(cmd, cwd, env, user=None):
    """Run `cmd` in `cwd` (as `user`, with only `env`, if given); its output, or a failure that shows it."""
    full = ["runuser", "-u", user, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()), *cmd] if user else cmd
    result = subprocess.run(full, cwd=cwd, capture_output=True, text=True, env=None if user else env)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def student_python(base):
    """A venv of a Python every user may run (the course's may live in root's home), reading the course's
    packages read-only: what `pip install 'rnnlib[student]'` gives a student, without the download."""
    python = "/usr/bin/python3.11" if os.access("/usr/bin/python3.11", os.X_OK) else None
    if python is None:
        pytest.skip("no system Python 3.11 that every user may run")
    venv = base / "student-venv"
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = venv / "lib" / "python3.11" / "site-packages"
    (site / "course.pth").write_text(f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    return venv / "bin"


@pytest.fixture(scope="module")
def world():
    base = Path(tempfile.mkdtemp(prefix="rnngrade-exchange-", dir="/tmp"))
    base.chmod(0o755)  # students reach the exchange and their folders through it
    names = [f"rnnst{secrets.token_hex(3)}{k}" for k in range(2)]
    made = []
    try:
        bin_dir = student_python(base)
        course = base / "course"
        (course / "solutions").mkdir(parents=True)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        shutil.copytree(ROOT / "solutions" / A, course / "solutions" / A)
        shutil.copytree(ROOT / "exercises" / A, course / "exercises" / A)
        course.chmod(0o700)  # the instructor's: no student reads it
        exchange = base / "exchange"
        env = dict(os.environ, RNNGRADE_EXCHANGE=str(exchange), PATH=f"{Path(sys.executable).parent}:"
                   + os.environ["PATH"])
        homes = {}
        for name in names:
            home = base / name
            subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", str(home),
                            "--shell", "/usr/sbin/nologin", name], check=True)
            made.append(name)
            home.mkdir()
            shutil.copy(ROOT / "student" / "nbgrader_config.py", home)
            uid, gid = pwd.getpwnam(name).pw_uid, pwd.getpwnam(name).pw_gid
            for path in (home, home / "nbgrader_config.py"):
                os.chown(path, uid, gid)
            homes[name] = home
        yield {"base": base, "course": course, "exchange": exchange, "env": env, "bin": bin_dir, "homes": homes,
               "students": names}
    finally:
        for name in made:
            subprocess.run(["userdel", name], check=False)
        shutil.rmtree(base, ignore_errors=True)


def as_student(world, name, *args):
    env = {"HOME": str(world["homes"][name]), "USER": name, "LOGNAME": name,
           "RNNGRADE_EXCHANGE": str(world["exchange"]), "PATH": f"{world['bin']}:/usr/bin:/bin"}
    return run(["python", "-m", "nbgrader", *args], world["homes"][name], env, user=name)


def instructor(world, *args):
    return run([sys.executable, "-m", "nbgrader", *args], world["course"], world["env"])


def hand_in(world, name, nb):
    """The student's notebook, saved as the student would from Jupyter: their file, in their folder."""
    path = world["homes"][name] / A / f"{A}.ipynb"
    nbformat.write(nb, path)
    owner = pwd.getpwnam(name)
    os.chown(path, owner.pw_uid, owner.pw_gid)


@pytest.fixture(scope="module")
def graded(world):
    alice, bob = world["students"]
    course = world["course"]
    instructor(world, "release_assignment", A)
    for name in (alice, bob):
        as_student(world, name, "fetch_assignment", A)
        assert (world["homes"][name] / A / f"{A}.ipynb").is_file()
    hand_in(world, alice, completed(course, A))
    hand_in(world, bob, release_notebook(course, A))  # handed in untouched
    for name in (alice, bob):
        as_student(world, name, "submit", A)
    submit(course, A, "carol", completed(course, A))  # by hand: no timestamp, no secret
    instructor(world, "collect", A)
    log = instructor(world, "autograde", A, *LIMITS)
    instructor(world, "generate_feedback", A)
    released = instructor(world, "release_feedback", A)
    fetched = {name: as_student(world, name, "fetch_feedback", A) for name in (alice, bob)}
    return {"autograde": log, "release_feedback": released, "fetch_feedback": fetched}


def test_every_student_is_graded_with_nothing_to_review(world, graded):
    alice, bob = world["students"]
    totals = {s: sum(cells.values()) for s, cells in cell_scores(world["course"], A).items()}
    assert totals == {alice: FULL, bob: 0, "carol": FULL}
    rows = (world["course"] / "reports" / f"{A}.csv").read_text().splitlines()[1:]
    assert [row.split(",")[3] for row in rows] == ["", "", ""], rows  # no extra files: nbgrader's own are known


def test_an_untouched_notebook_prints_no_checksum_warnings(graded):
    assert "checksum" not in graded["autograde"]


def test_feedback_is_released_to_the_exchange_students_and_the_others_are_named(world, graded):
    assert "carol" in graded["release_feedback"] and "not handed in through the exchange" in graded["release_feedback"]
    assert len(list((world["exchange"] / "rnn-gate-by-gate" / "feedback").glob("*.html"))) == 2


def test_each_student_fetches_their_own_feedback(world, graded):
    alice, bob = world["students"]
    pages = {}
    for name in (alice, bob):
        found = list((world["homes"][name] / A / "feedback").glob(f"*/{A}.html"))
        assert len(found) == 1, graded["fetch_feedback"][name]
        assert found[0].stat().st_uid == pwd.getpwnam(name).pw_uid
        pages[name] = found[0].read_text()
    assert pages[alice] != pages[bob]
    assert f"{FULL}" in pages[alice].split("Score")[1][:200]
