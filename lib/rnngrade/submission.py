"""What nbgrader may read from a submission folder, decided before it reads anything.

A submission is untrusted data, unpacked from whatever archive a student handed in: its entries may be
symbolic or hard links to the instructor's files, named pipes or devices that block a reader or never end,
folders where files are expected, and names that nbgrader's globs and regular expressions misread. nbgrader
copies and opens them as the instructor, following links. So, inside `nbgrader autograde` and
`generate_feedback` (their exporters, SubmissionExporter and rnngrade.feedback.FeedbackExporter, are built
after the submissions are listed and before any is touched):

- a submission is left out when its student's folder or its assignment folder is a link or not a folder,
  when the student id is a name nbgrader cannot use, or when its destination folder is a link;
- a notebook is read only if it is a plain file with one name, at most MAX_NOTEBOOK_BYTES long; otherwise
  the submission is treated as missing it;
- every other entry is added to nbgrader's ignore list, so nothing else is ever copied or opened (the kernel
  never sees extra files anyway), except nbgrader's own small plain `timestamp.txt` and
  `submission_secret.txt` (written by `nbgrader submit`; release_feedback names feedback after the secret);
- FlagExtraFiles (rnngrade.nbgrader) and the report say, for the instructor, what each entry was.
"""

import glob
import os
import re
import stat
from pathlib import Path

from nbconvert.exporters import NotebookExporter
from nbgrader.converters.base import BaseConverter

MAX_NOTEBOOK_BYTES = 64 * 2**20  # far above any real notebook; nbformat holds it in memory several times
MAX_TIMESTAMP_BYTES = 256
TIMESTAMP = "timestamp.txt"
NBGRADER_FILES = (TIMESTAMP, "submission_secret.txt")  # what `nbgrader submit` writes beside the notebooks
_PATTERN = re.compile(r"[*?[]")  # nbgrader globs paths that hold a student id


def shown(name, limit=80):
    """A name as a report can show it: bytes that are not UTF-8 and invisible characters escaped, shortened."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def name_problem(name):
    """Why nbgrader cannot use a folder's name as a student id, or None."""
    if shown(name, limit=10**6) != name:
        return f"the student id {shown(name)!r} has invisible characters or bytes that are not UTF-8"
    if _PATTERN.search(name):
        return f"the student id {name!r} has *, ? or [, which nbgrader would read as a pattern"
    return None


def kind_problem(path, max_bytes=None):
    """What keeps `path` from being read as a plain file of the submission's own, or None. Never follows it."""
    try:
        st = os.lstat(path)
    except OSError as err:
        return f"cannot be read ({err.strerror})"
    if stat.S_ISLNK(st.st_mode):
        try:
            return f"is a symbolic link to {shown(os.readlink(path))}"
        except OSError:
            return "is a symbolic link"
    kinds = [(stat.S_ISDIR, "is a folder"), (stat.S_ISFIFO, "is a named pipe"), (stat.S_ISCHR, "is a device"),
             (stat.S_ISBLK, "is a device"), (stat.S_ISSOCK, "is a socket")]
    for test, why in kinds:
        if test(st.st_mode):
            return why
    if not stat.S_ISREG(st.st_mode):
        return "is not a plain file"
    if st.st_nlink > 1:  # the same file as another name, possibly the instructor's
        return f"is a hard link (one of {st.st_nlink} names of the same file)"
    if max_bytes is not None and st.st_size > max_bytes:
        return f"is larger than {max_bytes} bytes"
    return None


def notebook_problem(path):
    name = Path(path).name
    if shown(name, limit=10**6) != name or _PATTERN.search(name):
        return f"{shown(name)!r} is a name nbgrader cannot use"
    why = kind_problem(path, MAX_NOTEBOOK_BYTES)
    return f"{name} {why}: it was not read, and the submission counts as missing it" if why else None


def folder_problem(folder):
    """Why a submission folder (STEP/student/assignment) must not be read, or None."""
    folder = Path(folder)
    for path in (folder.parent, folder):
        try:
            st = os.lstat(path)
        except OSError as err:
            return f"{shown(path.name)} cannot be read ({err.strerror})"
        if stat.S_ISLNK(st.st_mode):
            return f"the folder {shown(path.name)} {kind_problem(path)}: not followed"
        if not stat.S_ISDIR(st.st_mode):
            return f"{shown(path.name)} is not a folder"
    return name_problem(folder.parent.name)


def destination_problem(dest, notebooks, extension):
    """Why nbgrader must not write into `dest` (STEP/student/assignment): a link on the way, or None."""
    dest = Path(dest)
    for path in [dest.parent, dest] + [dest / (Path(nb).stem + extension) for nb in notebooks]:
        if path.is_symlink():
            return f"{path} is a symbolic link: nothing is written through it"
    return None


def timestamp_readable(folder, name=TIMESTAMP):
    return kind_problem(os.path.join(folder, name), MAX_TIMESTAMP_BYTES) is None


def nbgrader_file(folder, name):
    """Whether `name` is one of nbgrader's own files, small and plain, which nbgrader may read and copy."""
    return name in NBGRADER_FILES and timestamp_readable(folder, name)


def entries(folder, keep):
    """(name, problem) for each entry of `folder` but those in `keep`; problem is None for a plain file."""
    found = []
    for name in sorted(os.listdir(folder)):
        if name in keep or nbgrader_file(folder, name):
            continue
        limit = MAX_TIMESTAMP_BYTES if name in NBGRADER_FILES else None
        found.append((shown(name), kind_problem(os.path.join(folder, name), limit)))
    return found


def vet(converter, extension):
    """Leave out of `converter`'s run what it must not read or write through, and keep it from copying
    anything but notebooks. `extension`: that of the files it writes."""
    coursedir = converter.coursedir
    ignore = list(coursedir.ignore)
    for folder in sorted(converter.assignments):
        kept = [nb for nb in converter.assignments[folder] if notebook_problem(nb) is None]
        student, assignment = Path(folder).parent.name, Path(folder).name
        why = folder_problem(folder) or (None if kept else "no notebook that may be read")
        if why is None:
            why = destination_problem(converter._format_dest(assignment, student), kept, extension)
        if why:
            converter.log.warning("Left out %s: %s", shown(folder, limit=300), why)
            del converter.assignments[folder]
            continue
        converter.assignments[folder] = kept
        own = {Path(nb).name for nb in kept}
        ignore += [glob.escape(os.path.join(folder, name)) for name in os.listdir(folder)
                   if name not in own and not nbgrader_file(folder, name)]
    coursedir.ignore = ignore
    _guard_timestamps(coursedir)


def _guard_timestamps(coursedir):
    """nbgrader opens timestamp.txt following links and waiting on pipes: let it read only a small plain file."""
    if getattr(coursedir, "_rnngrade_guarded", False):
        return
    read = coursedir.get_existing_timestamp

    def get_existing_timestamp(dest_path):
        return read(dest_path) if timestamp_readable(dest_path) else None

    coursedir.get_existing_timestamp = get_existing_timestamp
    coursedir._rnngrade_guarded = True


class UnsafeSubmission(Exception):
    pass


class VetSubmissions:
    """For a converter's exporter class: vets the converter's submissions when nbgrader builds the exporter
    (after listing them, before reading any), and refuses to open a notebook that is not a plain file."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.parent, BaseConverter):
            vet(self.parent, self.file_extension)

    def from_filename(self, filename, resources=None, **kwargs):
        why = kind_problem(filename, MAX_NOTEBOOK_BYTES)
        if why:
            raise UnsafeSubmission(f"{shown(filename, limit=300)} {why}: not read")
        return super().from_filename(filename, resources, **kwargs)


class SubmissionExporter(VetSubmissions, NotebookExporter):
    """`nbgrader autograde`'s exporter (c.Autograde.exporter_class), with its submissions vetted."""
