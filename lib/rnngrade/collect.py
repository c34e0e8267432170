"""`nbgrader zip_collect` for the downloads of Canvas and Moodle (c.ZipCollectApp.collector_plugin).

Put the LMS's "download all submissions" zip (or its files) in downloaded/ASSIGNMENT/archive/, then
`nbgrader zip_collect ASSIGNMENT` fills submitted/STUDENT/ASSIGNMENT/. File names recognised:

- Canvas: `{lastfirst}_{userid}_{submissionid}_{filename}`, with `LATE_` before the user id when late
  (`doejane_LATE_12345_67890_ex03_gates.ipynb`); a file handed in again gets `-1`, `-2`, ... after its stem
  (`..._ex03_gates-1.ipynb`). The student id is the Canvas user id.
- Moodle: `{Full Name}_{participant id}_assignsubmission_file_{filename}`, or the same prefix as a folder
  (`Full Name_1234567_assignsubmission_file_/ex03_gates.ipynb`, Moodle's "download submissions in folders").
  The student id is the participant id.

A name is mapped back to the assignment's notebook (`ex03_gates-1.ipynb` is `ex03_gates.ipynb`), and of several
files for the same student and notebook only the latest is collected: the highest `-N`, then the newest file.
Ids become paths: one that is empty, `.`, `..`, or holds a slash or anything but letters, digits, `.`, `_`,
`-` and `@` is refused and its file skipped (rnngrade.submission checks the folders again at grading).
"""

import os
import re

from nbgrader.plugins import FileNameCollectorPlugin

CANVAS = re.compile(r"(?P<name>[^_/]*)_(?:LATE_)?(?P<student_id>\d+)_(?P<submission>\d+)_(?P<file>[^/]+)")
MOODLE = re.compile(r"(?P<name>[^/]*)_(?P<student_id>\d+)_assignsubmission_file_(?P<file>[^/]*)")
RESUBMITTED = re.compile(r"(?P<stem>.+)-(?P<attempt>\d+)")
SAFE_ID = re.compile(r"[A-Za-z0-9@_][A-Za-z0-9@._-]*")


def safe_id(text):
    return bool(text) and text not in (".", "..") and SAFE_ID.fullmatch(text) is not None


def parse(relpath):
    """{student_id, file, attempt, lms} from a path relative to the extracted folder, or None."""
    parts = relpath.split(os.sep)
    for k, part in enumerate(parts):
        m = MOODLE.fullmatch(part)
        if m and (m["file"] or k < len(parts) - 1):  # a folder prefix: the file is the last part under it
            return {"student_id": m["student_id"], "file": m["file"] or parts[-1], "attempt": 0, "lms": "moodle"}
    m = CANVAS.fullmatch(parts[-1])
    if m is None:
        return None
    stem, ext = os.path.splitext(m["file"])
    again = RESUBMITTED.fullmatch(stem)
    attempt = int(again["attempt"]) if again else 0
    return {"student_id": m["student_id"], "file": m["file"], "attempt": attempt, "lms": "canvas",
            "stem": again["stem"] + ext if again else None}


class LmsCollector(FileNameCollectorPlugin):
    """Recognises Canvas and Moodle download names, maps them to the assignment's notebook, keeps the latest."""

    def collect(self, submitted_file):
        if os.path.splitext(submitted_file)[1] not in self.valid_ext:
            return None
        if os.path.islink(submitted_file):
            self.log.warning("A link, not collected: %s", submitted_file)
            return None
        info = self._info(submitted_file)
        if info is None:
            self.log.warning("Not a Canvas or Moodle submission name, skipped: %s", submitted_file)
            return None
        key = (info["student_id"], info["file_id"])
        candidates = self._all().get(key, [(info, submitted_file)])
        latest = max(candidates, key=lambda c: (c[0]["attempt"], os.path.getmtime(c[1]), c[1]))[1]
        if latest != submitted_file:
            self.log.warning("Skipped %s: %s is a later submission of the same file", submitted_file, latest)
            return None
        return {"student_id": info["student_id"], "file_id": info["file_id"]}

    def _info(self, path):
        info = parse(os.path.relpath(path, self._root()))
        if info is None:
            return None
        notebooks = self._notebooks()
        if info["file"] not in notebooks and info.get("stem") in notebooks:
            info["file"] = info["stem"]  # ex03_gates-1.ipynb: a later attempt at ex03_gates.ipynb
        info["file_id"] = info["file"]
        if not (safe_id(info["student_id"]) and safe_id(info["file_id"])):
            self.log.warning("Unsafe student or file name, skipped: %r", path)
            return None
        return info

    def _root(self):
        return self.parent._format_collect_path(self.parent.extracted_directory)

    def _notebooks(self):
        if not hasattr(self, "_names"):
            coursedir = self.parent.coursedir
            release = coursedir.format_path(coursedir.release_directory, ".", coursedir.assignment_id)
            self._names = {n for n in os.listdir(release) if n.endswith(".ipynb")} if os.path.isdir(release) else set()
        return self._names

    def _all(self):
        """{(student_id, file_id): [(info, path)]} for every file of the extracted folder, found once."""
        if not hasattr(self, "_found"):
            self._found = {}
            for folder, _, files in os.walk(self._root()):
                for name in files:
                    path = os.path.join(folder, name)
                    if os.path.splitext(name)[1] in self.valid_ext and not os.path.islink(path):
                        info = self._info(path)
                        if info is not None:
                            self._found.setdefault((info["student_id"], info["file_id"]), []).append((info, path))
        return self._found
