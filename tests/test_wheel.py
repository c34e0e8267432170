"""The packages as a student or an instructor installs them: a wheel built from the sources, installed with its
declared dependencies into a new virtual environment, used from outside the repository.

It proves that the files the packages read at run time ship inside them (the corpus, the shipped model, the
expected values of the checks) and that rnnlib and rnncheck need nothing but numpy.
"""

import json
import shutil
import subprocess
import sys
import textwrap

import pytest
from exercise_course import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from build_exercises import visible_checks  # noqa: E402

# Runs inside the new environment, from an empty folder, so that nothing of the repository can be imported.
STUDENT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import rnncheck, rnnlib
    from rnncheck import check
    from rnnlib import charlm, text

    call = json.loads(sys.argv[1])
    report = {"rnnlib": rnnlib.__file__, "rnncheck": rnncheck.__file__, "corpus": len(text.SHAKESPEARE.read_text())}
    model, vocab = charlm.load(text.CHAR_LM / "model.npz")
    report["vocabulary"] = vocab.size

    def softmax(x):  # the student's answer
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def softmax_over_rows(x):  # a catalogued mistake: normalised along the wrong axis
        e = np.exp(x - x.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)

    check(call["name"], softmax, seed=call["seed"], sizes=call["sizes"])
    try:
        check(call["name"], softmax_over_rows, seed=call["seed"], sizes=call["sizes"])
        report["mistake"] = None
    except AssertionError as err:
        report["mistake"] = str(err)
    print(json.dumps(report))
""")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A new virtual environment with the wheel and the dependencies it declares, nothing else."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"  # a copy, so that building leaves no build/ or egg-info in the repository
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source)
    shutil.copytree(ROOT / "lib", source / "lib", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", tmp / "dist",
         source])
    (wheel,) = (tmp / "dist").glob("rnnlib-*.whl")
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", venv])
    run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel])
    return venv, wheel


def run(cmd, **kwargs):
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, f"{cmd[:4]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_wheel_holds_every_file_the_packages_read(installed):
    import zipfile

    _, wheel = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ("rnnlib/data/shakespeare.txt", "rnnlib/data/README.md", "rnnlib/data/char_lm/model.npz",
                    "rnncheck/expected.json"):
        assert shipped in names, f"{shipped} is not in the wheel: declare it in [tool.setuptools.package-data]"


def test_an_installed_check_compares_and_reports(installed, tmp_path):
    venv, _ = installed
    call = next(c for c in visible_checks("ex01_recurrence") if c.name == "softmax")
    argument = json.dumps({"name": call.name, "seed": call.seed, "sizes": call.size_dicts()})
    out = run([venv / "bin" / "python", "-I", "-c", STUDENT, argument], cwd=tmp_path)
    summary, report = out.strip().splitlines()[0], json.loads(out.strip().splitlines()[-1])
    assert all(str(venv) in report[p] for p in ("rnnlib", "rnncheck")), f"imported from the sources: {report}"
    assert report["corpus"] > 500_000 and report["vocabulary"] > 60
    n = len(call.sizes)
    assert summary == f"softmax: {n} of {n} cases correct"  # compared with the shipped expected values
    assert report["mistake"] and "case 0" in report["mistake"], "the wrong softmax passed its check"


def test_rnnlib_and_rnncheck_need_only_numpy(installed):
    venv, _ = installed
    packages = json.loads(run([venv / "bin" / "python", "-m", "pip", "list", "--format=json"]))
    assert {p["name"].lower() for p in packages} <= {"numpy", "rnnlib", "pip", "setuptools"}
    modules = ["rnnlib." + m for m in ("activations", "charlm", "fused", "gradcheck", "init", "interop", "lstm",
                                       "memory", "optim", "output", "rnn", "stacked", "text")]
    modules += ["rnncheck.check", "rnncheck.cases", "rnncheck.compare", "rnncheck.isolate", "rnncheck.properties",
                "rnncheck.exercises"]
    run([venv / "bin" / "python", "-I", "-c", "import " + ", ".join(modules)])
