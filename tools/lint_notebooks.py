"""Lint the code of every notebook with ruff: MyST-Markdown chapters and nbgrader notebooks alike.

ruff reads .ipynb files itself; MyST-Markdown notebooks are converted to .ipynb in a temporary folder
first (with jupytext), so both are checked under the same rules. Exit status: ruff's.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parents[1]
MYST_GLOBS = ("chapters/*.md",)
IPYNB_GLOBS = ("solutions/**/*.ipynb", "exercises/**/*.ipynb")


def main():
    ipynbs = [p for g in IPYNB_GLOBS for p in sorted(ROOT.glob(g)) if ".ipynb_checkpoints" not in p.parts]
    with tempfile.TemporaryDirectory() as tmp:
        converted = []
        for md in (p for g in MYST_GLOBS for p in sorted(ROOT.glob(g))):
            target = Path(tmp) / md.relative_to(ROOT).with_suffix(".ipynb")
            target.parent.mkdir(parents=True, exist_ok=True)
            jupytext.write(jupytext.read(md), target)
            converted.append(target)
        files = [str(p) for p in converted + ipynbs]
        if not files:
            print("no notebooks to lint")
            return 0
        # Notebooks import where a reader needs a name, not at the top, and show values as a cell's last line.
        cmd = [sys.executable, "-m", "ruff", "check", "--config", str(ROOT / "pyproject.toml"),
               "--extend-ignore", "E402,B018", *files]
        result = subprocess.run(cmd, capture_output=True, text=True)
        print(result.stdout.replace(tmp + "/", "").replace(str(ROOT) + "/", ""), end="")
        print(result.stderr, end="", file=sys.stderr)
        return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
