"""Fail if a notebook tracked by git carries outputs or execution counts.

Chapters are executed when the book is built, and exercise notebooks are handed out clean, so no
`.ipynb` file in git should hold the results of a run. MyST-Markdown notebooks (`.md`) cannot hold
outputs and are not checked. Exit status: 0 when every tracked notebook is clean (or there is none),
1 when some are not (they are listed), 2 when the list of tracked files cannot be read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def tracked_notebooks(root: Path) -> list[Path]:
    """Every `.ipynb` file git tracks under root, in any folder."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--", "*.ipynb"], cwd=root, check=True, capture_output=True, text=True
    ).stdout
    return [root / name for name in out.split("\0") if name]


def problems(path: Path) -> list[str]:
    """What makes one notebook unclean, as readable strings; empty when it is clean."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        return [f"cannot be read as a notebook: {err}"]
    found = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            found.append(f"cell {index} has {len(cell['outputs'])} output(s)")
        if cell.get("execution_count") is not None:
            found.append(f"cell {index} has execution_count {cell['execution_count']}")
    return found


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    try:
        notebooks = tracked_notebooks(root)
    except (OSError, subprocess.CalledProcessError) as err:
        print(f"check_no_outputs: cannot list the notebooks tracked by git: {err}", file=sys.stderr)
        return 2
    dirty = {}
    for path in notebooks:
        if path.is_file():  # a tracked file deleted in the working tree has nothing to check
            found = problems(path)
            if found:
                dirty[path.relative_to(root)] = found
    if dirty:
        print(f"{len(dirty)} notebook(s) in git carry outputs; clear them before committing:")
        for name, found in sorted(dirty.items()):
            print(f"  {name}: " + "; ".join(found))
        return 1
    print(f"check_no_outputs: {len(notebooks)} tracked notebook(s), none with outputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
