"""The course's nbgrader exchange: where it is, and releasing feedback to a class handed in several ways.

The exchange root is read from RNNGRADE_EXCHANGE, else DEFAULT_ROOT (nbgrader's own default), by the
instructor's configuration (nbgrader_config.py) and the students' (student/nbgrader_config.py) alike.
This module imports only nbgrader's exchange, which students have too.
"""

import os

from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback

COURSE_ID = "rnn-gate-by-gate"
DEFAULT_ROOT = "/srv/nbgrader/exchange"
ENV = "RNNGRADE_EXCHANGE"
# What `nbgrader submit` writes beside the notebooks; release_feedback names a student's feedback after the secret.
EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")


def exchange_root():
    return os.environ.get(ENV) or DEFAULT_ROOT


def came_through_exchange(folder):
    """Whether a feedback folder holds what `nbgrader submit` wrote, as plain files (never followed)."""
    return all(os.path.isfile(p) and not os.path.islink(p) for p in (os.path.join(folder, n) for n in EXCHANGE_FILES))


class ReleaseFeedback(ExchangeReleaseFeedback):
    """`nbgrader release_feedback` for a class in which some submissions did not come through the exchange
    (dropped into submitted/ by hand, or collected from an LMS download): those students cannot fetch feedback
    through it, so they are skipped with a warning instead of stopping the release for everyone."""

    def copy_files(self):
        skipped = set(filter(None, self.coursedir.student_id_exclude.split(",")))
        root = os.path.normpath(self.coursedir.format_path(self.coursedir.feedback_directory, ".", "."))
        wanted = self.coursedir.student_id if self.coursedir.student_id not in ("", "*") else None
        for student in sorted(os.listdir(root)) if os.path.isdir(root) else []:
            folder = os.path.join(root, student, self.coursedir.assignment_id)
            if wanted not in (None, student) or student in skipped or not os.path.isdir(folder):
                continue
            if not came_through_exchange(folder):
                self.log.warning("Not released for %s: not handed in through the exchange; give them %s yourself",
                                 student, folder)
                skipped.add(student)
        self.coursedir.student_id_exclude = ",".join(sorted(skipped))
        super().copy_files()
