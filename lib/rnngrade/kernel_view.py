"""What of the course a grading kernel can import: rnncheck always (its exercises' modules without what only the
grader sees); of rnnlib only what its exercise builds on (for most exercises nothing); rnnbook and rnngrade never.

rnncheck bars rnnlib's functions while a check runs, so that students who call the library see it fail in
their own Jupyter; but code in a kernel can undo anything the kernel does. So a graded kernel cannot import
what it must not use: the sandbox does not show it. Where it lies inside a folder the sandbox must show (a
regular install, in the site-packages of `sys.prefix`), a package whose import fails, and says why, is
bound over it.
"""

import importlib.util
import re
from pathlib import Path

from rnncheck.exercise import GRADER_ONLY

HIDDEN = ("rnnlib", "rnnbook", "rnngrade")  # the course's packages but rnncheck

# The files of rnnlib a kernel sees, per assignment: {name in the kernel's rnnlib: file or folder of rnnlib}.
# The character model's exercise builds on the model (forward pass, loss and gradients, evaluation, loading the
# shipped run), on the corpus and on the optimizers; what it asks for (sampling, generation, the training step)
# is what rnnlib.charlm adds to rnnlib.charmodel. So its kernel's rnnlib.charlm is rnnlib.charmodel, with what
# that imports. rnncheck's cases of that exercise use the same modules (see rnncheck.exercises.ex06_char_lm).
CHARMODEL = ("text.py", "optim.py", "init.py", "output.py", "stacked.py", "fused.py", "lstm.py", "activations.py",
             "_checks.py", "data")
RNNLIB = {"ex06_char_lm": {"charlm.py": "charmodel.py", **{name: name for name in CHARMODEL}}}

BLOCKED = 'raise ImportError("{name} is the course\'s own code: it cannot be imported while an exercise is graded")\n'
VIEW_INIT = '"""rnnlib as the graded kernel of {assignment} sees it: only what the exercise builds on."""\n'


# rnncheck.given.exNN holds correct answers of exercise NN, for the exercises after it: the kernel of exercise NN
# or of an earlier one sees, in their place, a module whose import fails.
GIVEN_BLOCKED = ('raise ImportError("rnncheck.given.{name} holds the answers of exercise {number}: it cannot be '
                 'imported while exercise {number} or an earlier one is graded")\n')


def given_args(assignment, box, given_dir):
    """bwrap arguments that hide the modules of rnncheck.given (in `given_dir`) the assignment must not use:
    those of its own exercise and of later ones (all of them when the assignment is not an exercise's)."""
    if not given_dir.is_dir():
        return []
    number = re.match(r"ex(\d+)_", assignment)
    args = []
    for module in sorted(given_dir.glob("ex*.py")):
        if number is None or int(module.stem[2:]) >= int(number[1]):
            blocked = box / "view" / "given" / module.name
            blocked.parent.mkdir(parents=True, exist_ok=True)
            _readable_file(blocked, GIVEN_BLOCKED.format(name=module.stem, number=int(module.stem[2:])))
            args += ["--ro-bind", str(blocked), str(module)]
    if args and (given_dir / "__pycache__").is_dir():
        args += ["--tmpfs", str(given_dir / "__pycache__")]  # compiled copies of the hidden modules
    return args


def kernel_edition(source):
    """An exercise module of rnncheck.exercises as a graded kernel sees it: cut at its GRADER_ONLY line, before the
    references and the mistakes (which are near-answers). A ValueError when the module has no such line."""
    lines = source.splitlines(keepends=True)
    for k, line in enumerate(lines):
        if line.rstrip("\r\n") == GRADER_ONLY:
            return "".join(lines[:k])
    raise ValueError(f"an exercise module needs the line {GRADER_ONLY!r} before its references and mistakes")


def exercise_args(box, exercises_dir):
    """bwrap arguments that show every module of rnncheck.exercises (in `exercises_dir`) as its kernel edition."""
    args = []
    for module in sorted(exercises_dir.glob("ex*.py")):
        cut = box / "view" / "exercises" / module.name
        cut.parent.mkdir(parents=True, exist_ok=True)
        _readable_file(cut, kernel_edition(module.read_text()))
        args += ["--ro-bind", str(cut), str(module)]
    if args and (exercises_dir / "__pycache__").is_dir():
        args += ["--tmpfs", str(exercises_dir / "__pycache__")]  # compiled copies of the whole modules
    return args


def package_dirs(names=HIDDEN):
    """{name: folder} of the course's packages as this Python would import them; missing ones are left out."""
    found = {}
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            found[name] = Path(next(iter(spec.submodule_search_locations)))
    return found


def view_args(assignment, box, shown, packages):
    """bwrap arguments, to follow the read-only binds of the folders `shown`, that hide the course's `packages`
    ({name: folder}) and show the assignment's part of rnnlib. `box`: a folder outside the kernel's view, for the
    few files the view is made of."""
    args = []
    for name, folder in packages.items():
        files = RNNLIB.get(assignment) if name == "rnnlib" else None
        if files:
            args += _partial_rnnlib(assignment, box, folder, files)
        elif name == "rnnlib" or any(folder.is_relative_to(s) for s in map(Path, shown)):
            # rnnlib always, so that its import says why it fails; the others only where they would be seen
            blocked = box / "view" / name
            blocked.mkdir(parents=True, exist_ok=True)
            blocked.chmod(0o755)  # bound over the package's folder: the kernel's user must enter it
            _readable_file(blocked / "__init__.py", BLOCKED.format(name=name))
            args += ["--ro-bind", str(blocked), str(folder)]
    rnncheck = importlib.util.find_spec("rnncheck")
    if rnncheck is not None and rnncheck.submodule_search_locations:
        folder = Path(next(iter(rnncheck.submodule_search_locations)))
        if any(folder.is_relative_to(s) for s in map(Path, shown)):  # only what the kernel would see
            args += given_args(assignment, box, folder / "given") + exercise_args(box, folder / "exercises")
    return args


def _partial_rnnlib(assignment, box, folder, files):
    init = box / "view" / "rnnlib-init.py"
    init.parent.mkdir(parents=True, exist_ok=True)
    _readable_file(init, VIEW_INIT.format(assignment=assignment))
    args = ["--tmpfs", str(folder), "--ro-bind", str(init), str(folder / "__init__.py")]
    for name, source in files.items():
        args += ["--ro-bind", str(folder / source), str(folder / name)]
    return args + ["--remount-ro", str(folder)]


def _readable_file(path, text):
    """A file the kernel can read, whatever its user and the grader's umask."""
    path.write_text(text)
    path.chmod(0o644)
