"""Feedback HTML is one file that a student opens from their own disk: it loads nothing from the network and
still typesets its math (MathJax inlined by rnngrade.feedback), and shows no hidden test.

A graded submission whose markdown and outputs hold math gets its feedback generated, then is opened in
headless Chromium with every host unresolvable.
"""

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from exercise_course import ROOT, cell_scores, completed, max_scores, new_course, submit

pytestmark = pytest.mark.batch  # grades with nbgrader

sys.path.insert(0, str(ROOT / "tools"))
from check_offline_html import remote_assets  # noqa: E402

A = "ex03_gates"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=20000"]
MARKDOWN_MATH = (r"The forget gate is $f_t = \sigma(W_f [h_{t-1}, x_t] + b_f)$, and"
                 "\n\n$$C_t = f_t \\odot C_{t-1} + i_t \\odot \\tilde{C}_t \\tag{1}$$\n\n"
                 r"A link in math: $\href{javascript:alert(1)}{x}$ and $\mmlToken{mi}[href='javascript:alert(2)']{y}$.")
OUTPUT_MATH = "from IPython.display import Math, display\ndisplay(Math(r'h_t = o_t \\odot \\tanh(C_t)'))\n"
# Appended to a copy of the page: once MathJax is done, record what a reader sees.
PROBE = """<script>
window.addEventListener('load', () => (window.MathJax && MathJax.startup ? MathJax.startup.promise
                                      : Promise.resolve()).then(() => {
  const report = {mathjax: !!(window.MathJax && MathJax.version), version: window.MathJax && MathJax.version,
                  math: document.querySelectorAll('mjx-container').length,
                  in_outputs: document.querySelectorAll('.output_area mjx-container').length,
                  errors: document.querySelectorAll('mjx-merror').length,
                  scripted_links: [...document.querySelectorAll('[href]')].map(a => a.getAttribute('href'))
                                  .filter(h => /^\\s*javascript:/i.test(h)).length};
  document.body.setAttribute('data-probe', JSON.stringify(report));
}));
</script>"""


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    course = new_course(tmp_path_factory.mktemp("feedback"), A)
    nb = completed(course, A)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(MARKDOWN_MATH))
    nb.cells.insert(2, nbformat.v4.new_code_cell(OUTPUT_MATH))
    submit(course, A, "student", nb)
    run = [sys.executable, "-m", "nbgrader"]
    subprocess.run([*run, "autograde", A], cwd=course, check=True, capture_output=True, timeout=600)
    subprocess.run([*run, "generate_feedback", A], cwd=course, check=True, capture_output=True, timeout=600)
    return course, course / "feedback" / "student" / A / f"{A}.html"


def render(page):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("chromium is not installed: `apt-get install chromium` (.ci/run does this)")
    with tempfile.TemporaryDirectory() as tmp:
        # Where a student would keep it: a folder of its own, nothing of the course beside it.
        copy = Path(tmp) / "downloads" / page.name
        copy.parent.mkdir()
        copy.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
        dom = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile", "--dump-dom",
                              copy.as_uri()], capture_output=True, text=True, timeout=180).stdout
    found = re.search(r'data-probe="([^"]*)"', dom)
    assert found, "the feedback did not finish loading in Chromium"
    return json.loads(found.group(1).replace("&quot;", '"'))


def test_the_submission_is_graded(feedback):
    course, page = feedback
    assert sum(cell_scores(course, A)["student"].values()) == sum(max_scores(A).values())
    assert page.is_file()


def test_feedback_loads_nothing_remote(feedback):
    course, _ = feedback
    assert remote_assets(course / "feedback") == {}


def test_feedback_math_is_typeset_offline(feedback):
    _, page = feedback
    seen = render(page)
    assert seen["mathjax"] and seen["version"].startswith("3."), seen
    assert seen["errors"] == 0, seen
    assert seen["in_outputs"] >= 1, seen  # the Math() output
    assert seen["math"] >= 4, seen  # the two of the markdown cell, the output, the links
    assert seen["scripted_links"] == 0, seen  # MathJax's Safe extension


def test_feedback_shows_no_hidden_test(feedback):
    _, page = feedback
    html = page.read_text(encoding="utf-8")
    assert "BEGIN HIDDEN TESTS" not in html and "seed=31" not in html
