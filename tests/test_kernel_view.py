"""What a grading kernel can import of the course (rnngrade.kernel_view), in both layouts of an install: the
repository's lib/ on sys.path (an editable install, as here) and a regular install in site-packages, which the
sandbox shows as part of sys.prefix. Each layout is checked on bwrap's argument list and in a real bwrap."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rnncheck.exercise import GRADER_ONLY
from rnngrade import kernel_view
from rnngrade.kernel_view import RNNLIB, exercise_args, kernel_edition, package_dirs, view_args
from rnngrade.sandbox import bwrap_args, readable_paths

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib"
NOT_FOR_EX06 = ("sample_next", "generate", "train_step", "train", "sample")

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")


def binds(args):
    """{destination: source} of bwrap's --ro-bind operations."""
    return {args[i + 2]: args[i + 1] for i, a in enumerate(args) if a == "--ro-bind"}


def fake_install(tmp_path):
    """A sys.prefix whose site-packages holds a regular install of the course's four packages."""
    site = tmp_path / "prefix" / "lib" / "python3" / "site-packages"
    for package in ("rnnlib", "rnncheck", "rnnbook", "rnngrade"):
        shutil.copytree(LIB / package, site / package, ignore=shutil.ignore_patterns("__pycache__"))
        (site / package / "__pycache__").mkdir()
        (site / package / "__pycache__" / "compiled.pyc").write_text("bytecode")
    return site


def box(tmp_path):
    folder = tmp_path / "box"
    for sub in ("sockets", "scratch"):
        (folder / sub).mkdir(parents=True)
    return folder


def run_in_sandbox(folder, readable, view, code, path=(), argv=()):
    """Run `code` with this Python in a sandbox of these binds; its stdout."""
    env = {"PYTHONPATH": ":".join(map(str, path)), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([*bwrap_args(folder, readable, view), "--", sys.executable, "-I" if not path else "-s",
                             "-c", code, *argv], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


IMPORTS = """
import importlib
for name in ("rnnlib", "rnnlib.lstm", "rnnlib.charlm", "rnnbook", "rnngrade", "rnncheck"):
    try:
        module = importlib.import_module(name)
    except ImportError as err:
        print(name, "no:", err)
    else:
        print(name, "yes", sorted(n for n in vars(module) if not n.startswith("_")))
"""


def seen(stdout):
    return {line.split()[0]: line.split()[1] == "yes" for line in stdout.splitlines()}


def test_a_regular_install_is_hidden_in_site_packages_but_rnncheck(tmp_path):
    site = fake_install(tmp_path)
    packages = {name: site / name for name in kernel_view.HIDDEN}
    args = view_args("ex03_gates", box(tmp_path), [str(tmp_path / "prefix")], packages)
    masked = binds(args)
    assert set(masked) == {str(site / name) for name in kernel_view.HIDDEN}
    for name in kernel_view.HIDDEN:
        assert sorted(p.name for p in Path(masked[str(site / name)]).iterdir()) == ["__init__.py"]


def test_in_a_regular_install_ex06_sees_the_model_and_nothing_it_must_write(tmp_path):
    site = fake_install(tmp_path)
    args = view_args("ex06_char_lm", box(tmp_path), [str(tmp_path / "prefix")], {"rnnlib": site / "rnnlib"})
    shown = binds(args)
    assert shown[str(site / "rnnlib" / "charlm.py")] == str(site / "rnnlib" / "charmodel.py")
    assert not any("__pycache__" in p or p.endswith(("rnn.py", "gradcheck.py", "interop.py")) for p in shown)
    assert args[:2] == ["--tmpfs", str(site / "rnnlib")] and args[-2:] == ["--remount-ro", str(site / "rnnlib")]


@needs_bwrap
@pytest.mark.parametrize("assignment", ["ex03_gates", "ex06_char_lm"])
def test_in_a_sandbox_a_regular_install_shows_what_its_assignment_may_import(tmp_path, assignment):
    site = fake_install(tmp_path)
    prefix = str(tmp_path / "prefix")
    folder = box(tmp_path)
    view = view_args(assignment, folder, [prefix], {name: site / name for name in kernel_view.HIDDEN})
    readable = [sys.base_prefix, sys.prefix, prefix]
    out = run_in_sandbox(folder, readable, view, IMPORTS, path=[site])
    found = seen(out)
    assert found["rnncheck"] and not found["rnnbook"] and not found["rnngrade"]
    if assignment == "ex03_gates":
        assert not found["rnnlib"] and "the course's own code" in out
    else:
        assert found["rnnlib"] and found["rnnlib.charlm"] and found["rnnlib.lstm"]
        charlm = next(line for line in out.splitlines() if line.startswith("rnnlib.charlm"))
        assert "forward" in charlm and not any(f"'{name}'" in charlm for name in NOT_FOR_EX06)


@needs_bwrap
@pytest.mark.parametrize("assignment", ["ex03_gates", "ex06_char_lm"])
def test_in_a_sandbox_the_repository_layout_shows_what_its_assignment_may_import(tmp_path, assignment):
    """The layout of this checkout (lib/ on sys.path), with the sandbox's own list of readable folders."""
    folder = box(tmp_path)
    readable = readable_paths()
    out = run_in_sandbox(folder, readable, view_args(assignment, folder, readable, package_dirs()), IMPORTS)
    found = seen(out)
    assert found["rnncheck"] and not found["rnnbook"] and not found["rnngrade"]
    assert found["rnnlib"] == (assignment == "ex06_char_lm")
    if found["rnnlib"]:
        charlm = next(line for line in out.splitlines() if line.startswith("rnnlib.charlm"))
        assert "loss_and_grads" in charlm and not any(f"'{name}'" in charlm for name in NOT_FOR_EX06)


def _relative_imports(path):
    """The rnnlib modules a module of rnnlib imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module} if node.module else {alias.name for alias in node.names}
    return found


def test_the_ex06_view_holds_everything_its_model_imports():
    files = RNNLIB["ex06_char_lm"]
    shown = {Path(source).stem for source in files.values()}
    for source in files.values():
        if source.endswith(".py"):
            assert _relative_imports(LIB / "rnnlib" / source) <= shown, source


def test_rnncheck_imports_of_rnnlib_are_those_of_the_ex06_view_only():
    """rnncheck runs in every graded kernel: it imports rnnlib nowhere but in the cases of ex06, and there only
    what that kernel sees. Of an exercise's module, a graded kernel sees its kernel edition only."""
    shown = {f"rnnlib.{name.removesuffix('.py')}" for name in RNNLIB["ex06_char_lm"]}
    for path in (LIB / "rnncheck").rglob("*.py"):
        source = path.read_text()
        if path.parent.name == "exercises" and path.name != "__init__.py":
            source = kernel_edition(source)
        for node in ast.walk(ast.parse(source)):
            names = [node.module] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for name in filter(None, names):
                if name.split(".")[0] == "rnnlib":
                    assert path.name == "ex06_char_lm.py" and name in shown, f"{path.name} imports {name}"


def test_the_kernel_edition_of_an_exercise_is_cut_before_its_references_and_mistakes(tmp_path):
    source = (LIB / "rnncheck" / "exercises" / "ex04_lstm_backprop.py").read_text()
    cut = kernel_edition(source)
    assert source.startswith(cut) and "@EXERCISE.case" in cut
    assert "EXERCISE.mistake" not in cut and "EXERCISE.reference" not in cut and GRADER_ONLY not in cut
    with pytest.raises(ValueError, match="grader only"):
        kernel_edition("EXERCISE.mistake('f', 'hint', 'def f(): pass')\n")
    folder = tmp_path / "exercises"
    (folder / "__pycache__").mkdir(parents=True)
    (folder / "ex01_a.py").write_text(f"x = 1\n{GRADER_ONLY}\ny = 2\n")
    args = exercise_args(box(tmp_path), folder)
    [(destination, shown)] = binds(args).items()
    assert destination == str(folder / "ex01_a.py") and Path(shown).read_text() == "x = 1\n"
    assert args[-2:] == ["--tmpfs", str(folder / "__pycache__")]  # the compiled whole module


SEEN_EXERCISES = """
import json, pathlib, sys
compiled = [p.name for p in pathlib.Path(sys.argv[1]).glob("*")]  # before anything is imported (and compiled)
import rnncheck.exercises as package
from rnncheck.exercises import CASES, EXERCISES
folder = pathlib.Path(package.__file__).parent
print(json.dumps({"cases": sorted(CASES), "references": sum(len(e.references) for e in EXERCISES.values()),
                  "mistakes": sum(len(f.mistakes) for e in EXERCISES.values() for f in e.functions.values()),
                  "texts": [p.read_text() for p in folder.glob("ex*.py")], "compiled": compiled}))
"""


@needs_bwrap
def test_in_a_sandbox_the_exercises_modules_hold_cases_but_no_reference_or_mistake(tmp_path):
    import json

    import rnncheck.exercises
    from rnncheck.exercises import CASES

    compiled = Path(rnncheck.exercises.__file__).parent / "__pycache__"
    assert any(compiled.iterdir())  # the grader's own compiled copies of the whole modules
    folder = box(tmp_path)
    readable = readable_paths()
    out = run_in_sandbox(folder, readable, view_args("ex04_lstm_backprop", folder, readable, package_dirs()),
                         SEEN_EXERCISES, argv=[compiled])
    found = json.loads(out)
    assert found["cases"] == sorted(CASES)
    assert found["references"] == 0 and found["mistakes"] == 0 and found["compiled"] == []
    assert found["texts"] and not any("EXERCISE.mistake" in text or GRADER_ONLY in text for text in found["texts"])
