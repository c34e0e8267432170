"""The exporter of `nbgrader generate_feedback` (c.GenerateFeedback.exporter_class in nbgrader_config.py).

It is nbgrader's feedback HTML with two changes:
- what it reads and where it writes are vetted like a submission (rnngrade.submission);
- its math is typeset with no network: the template rnngrade_feedback (templates/) inlines MathJax 3, from
  the copy tools/offline_mathjax.py unpacks into _vendor/mathjax/ (`make mathjax`). Each file grows by about
  2.3 MB and opens anywhere on its own, which a relative path to a MathJax folder would not.
"""

import copy
import os
import re
from pathlib import Path

from nbconvert.exporters import HTMLExporter
from traitlets import Unicode, default
from traitlets.config import Config

from .submission import VetSubmissions

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = "rnngrade_feedback"
# Inside a <script> element only `</script` ends it, and `<!--` with `<script` changes how it is parsed.
_ENDS_SCRIPT = re.compile(r"</script|<script", re.IGNORECASE)


class FeedbackExporter(VetSubmissions, HTMLExporter):
    """nbgrader's feedback HTML, vetted, with MathJax inlined."""

    mathjax_dir = Unicode(help="The folder of MathJax 3's es5 files (default: the course's _vendor/mathjax).").tag(
        config=True)

    @default("mathjax_dir")
    def _mathjax_dir_default(self):
        course = Path(__file__).resolve().parents[2] / "_vendor" / "mathjax"
        return str(course if course.is_dir() else Path.cwd() / "_vendor" / "mathjax")

    def __init__(self, config=None, **kwargs):
        # generate_feedback configures HTMLExporter for nbgrader's `feedback` template, which this one extends;
        # as configuration, so that the template's paths and settings are read once, for this template.
        config = copy.deepcopy(config) if config is not None else Config()
        ours = Config()
        ours.FeedbackExporter.template_name = TEMPLATE
        ours.FeedbackExporter.extra_template_basedirs = [
            str(TEMPLATES), *config.HTMLExporter.get("extra_template_basedirs", [])]
        config.merge(ours)
        super().__init__(config=config, **kwargs)

    def default_filters(self):
        yield from super().default_filters()
        yield "offline_mathjax", self.inline_mathjax

    def inline_mathjax(self, name):
        """The text of one of MathJax's files, to put inside a <script> element."""
        path = Path(self.mathjax_dir) / name
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: run `make mathjax` (python tools/offline_mathjax.py) once, "
                                    "so that feedback typesets its math offline")
        text = path.read_text(encoding="utf-8")
        if _ENDS_SCRIPT.search(text):
            raise ValueError(f"{path} cannot be inlined in a <script> element")
        return text + os.linesep
