"""The exporter of `nbgrader generate_feedback` (c.GenerateFeedback.exporter_class in nbgrader_config.py)."""

from nbconvert.exporters import HTMLExporter

from .submission import VetSubmissions


class FeedbackExporter(VetSubmissions, HTMLExporter):
    """nbgrader's feedback HTML; what it reads and where it writes are vetted (rnngrade.submission)."""
