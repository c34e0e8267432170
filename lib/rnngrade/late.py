"""Late work: the course's penalty, with extensions, as nbgrader's late-submission plugin.

    c.AssignLatePenalties.plugin_class = LatePenalty      (nbgrader_config.py sets the policy)

A notebook handed in after the due date loses `rate` for every started `per` ("hour" or "day") it is late,
after `grace_minutes`, at most `cap`; `rate` and `cap` are fractions of the notebook's maximum score
(`unit = "fraction"`) or points (`unit = "points"`). nbgrader never takes more than the notebook scored.

The due date is the gradebook's (`nbgrader db assignment add A --duedate="2025-03-01 17:00:00 UTC"`), the time
handed in that of the submission's `timestamp.txt` (written by `nbgrader submit`; read only when it is a small
plain file, rnngrade.submission). Extensions are a CSV file, `extensions_file` (default `extensions.csv` in the
course's root), with the columns `student_id,assignment,extension`: the extension is a number of hours (`48`)
or a new due date (`2025-03-03 17:00:00 UTC`); an empty assignment or `*` means every assignment. It is written
into the gradebook as nbgrader's own per-student extension, so formgrader and `total_seconds_late` count it.
"""

import csv
import datetime
import math
import os

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.utils import parse_utc
from traitlets import Enum, Float, Unicode

PERIODS = {"hour": 3600.0, "day": 86400.0}


def read_extensions(path):
    """{(student_id, assignment or "*"): extension text} from the extensions file; {} when there is none."""
    if not path or not os.path.isfile(path):
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        return {(row["student_id"].strip(), (row.get("assignment") or "*").strip() or "*"): row["extension"].strip()
                for row in csv.DictReader(f) if (row.get("student_id") or "").strip() and row.get("extension")}


def extension_for(extensions, student, assignment, duedate):
    """The extension of `student` on `assignment` as a timedelta, or None. ValueError for one not understood."""
    text = extensions.get((student, assignment), extensions.get((student, "*")))
    if not text:
        return None
    try:
        return datetime.timedelta(hours=float(text))
    except ValueError:
        pass
    if duedate is None:
        return None  # a new due date means nothing for an assignment that has none
    return parse_utc(text) - duedate


class LatePenalty(LateSubmissionPlugin):
    """A penalty per started hour or day late, capped; extensions from a CSV file."""

    per = Enum(tuple(PERIODS), default_value="day", help="the penalty is counted per started hour or day").tag(
        config=True)
    rate = Float(0.0, help="penalty per started period late (see unit)").tag(config=True)
    unit = Enum(("fraction", "points"), default_value="fraction",
                help="rate and cap as fractions of the notebook's maximum score, or as points").tag(config=True)
    cap = Float(None, allow_none=True, help="the largest penalty (see unit); None: no cap").tag(config=True)
    grace_minutes = Float(0.0, help="minutes late that cost nothing").tag(config=True)
    extensions_file = Unicode("extensions.csv", help="per-student extensions (see rnngrade.late)").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.max_score = None
        # nbgrader builds this plugin for each notebook after it recorded the submission and before it reads how
        # late it is: the extension written now is counted by nbgrader itself.
        parent = self.parent
        if all(hasattr(parent, name) for name in ("db_url", "assignment_id", "student_id", "notebook_id")):
            self._record_extension(parent.db_url, parent.assignment_id, parent.student_id, parent.notebook_id)

    def _record_extension(self, db_url, assignment, student, notebook):
        extensions = read_extensions(self.extensions_file)
        with Gradebook(db_url) as gb:
            try:
                submission = gb.find_submission(assignment, student)
                self.max_score = gb.find_notebook(notebook, assignment).max_score
            except MissingEntry:
                return
            try:
                extension = extension_for(extensions, student, assignment, submission.assignment.duedate)
            except ValueError:
                self.log.error("%s: extension %r not understood (hours, or a date)", student,
                               extensions.get((student, assignment), extensions.get((student, "*"))))
                extension = None
            if submission.extension != extension:  # also removes one taken out of the file
                submission.extension = extension
                gb.db.commit()

    def penalty(self, seconds_late, max_score):
        """The penalty for a notebook `seconds_late` late whose maximum score is `max_score`."""
        late = seconds_late - 60.0 * self.grace_minutes
        if late <= 0:
            return 0.0
        amount = self.rate * math.ceil(late / PERIODS[self.per] - 1e-9)
        if self.cap is not None:
            amount = min(amount, self.cap)
        if self.unit == "fraction":
            amount *= max_score
        return round(amount, 6)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        if self.penalty_method == "zero":  # nbgrader's own choice, when configured, still works
            return super().late_submission_penalty(student_id, score, total_seconds_late)
        if self.max_score is None:
            self.log.error("%s: the notebook's maximum score is unknown: no late penalty", student_id)
            return None
        return self.penalty(total_seconds_late, self.max_score)


def lateness(gb, assignment, student):
    """What the report says about a submission's time: {submitted, due, late_by, extension, penalty} (datetimes
    naive UTC, as nbgrader keeps them; late_by and extension timedeltas or None), or None with no submission."""
    try:
        submission = gb.find_submission(assignment, student)
    except MissingEntry:
        return None
    late = submission.total_seconds_late
    return {"submitted": submission.timestamp, "due": submission.duedate,
            "late_by": datetime.timedelta(seconds=late) if late > 0 else None, "extension": submission.extension,
            "penalty": submission.late_submission_penalty or 0.0}


def duration(delta):
    """A timedelta as a teacher reads it: 2 d 3 h 5 min."""
    minutes = round(delta.total_seconds() / 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    return " ".join(p for p in parts if p) or "0 min"


def handed_in(late):
    """A submission's time for the report: when, how late, the penalty, the extension."""
    if late is None or late["submitted"] is None:
        return "no time recorded"
    text = f"{late['submitted']:%Y-%m-%d %H:%M} UTC"
    extension = f"extension {duration(late['extension'])}" if late["extension"] else ""
    if late["late_by"] is not None:
        return f"{text}, {duration(late['late_by'])} late" + (f" ({extension})" if extension else "") + \
            f", {late['penalty']:g} off"
    return text + (f", on time with its {extension}" if extension else "")
