"""The course's nbgrader configuration: `nbgrader generate_assignment`, `autograde` and `generate_feedback`
read it when run from the repository's root.

`nbgrader autograde` is hardened here (see the README's instructor section for the threat model):
every kernel runs in a sandbox (rnngrade.sandbox), test cells are restored and decided from results checked
outside the kernel (rnngrade.nbgrader, rnngrade.verify), and each run leaves reports/ASSIGNMENT.md.
"""

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearHiddenTests,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from rnngrade.collect import LmsCollector
from rnngrade.database import configured_url
from rnngrade.exchange import COURSE_ID, ReleaseFeedback, exchange_root
from rnngrade.execute import SandboxedExecute
from rnngrade.export import RnnExport
from rnngrade.feedback import FeedbackExporter
from rnngrade.gradebook import AutogradeExporter
from rnngrade.late import LatePenalty
from rnngrade.nbgrader import FlagExtraFiles, RestoreTestCells, VerifyChecks
from rnngrade.overwrite import QuietOverwriteCells
from rnngrade.report import post_convert_hook
from rnngrade.sanitize import SanitizeOutputs

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = COURSE_ID
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# The gradebook: $RNNGRADE_DB_URL (PostgreSQL where several machines grade), else nbgrader's gradebook.db.
# Importing rnngrade.database also makes SQLite wait for a lock held by a grading running beside this one.
if configured_url():
    c.CourseDirectory.db_url = configured_url()

# Stubs students see in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    RestoreTestCells,
    QuietOverwriteCells,
    FlagExtraFiles,
    SanitizeOutputs,
    CheckCellMetadata,
]
# RestoreTestCells puts back the metadata of every cell and the test cells a student deleted (nbgrader's own
# add_missing_cells fails on this course's layout); OverwriteCells then restores their source and type (quietly
# for a test cell left as released, whose hidden tests always "change its checksum").

c.Autograde.autograde_preprocessors = [
    SandboxedExecute,
    VerifyChecks,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SanitizeOutputs,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
c.ClearMetadataPreprocessor.preserve_nb_metadata_mask = {("language_info", "name"), ("rnngrade",)}
c.ClearMetadataPreprocessor.preserve_cell_metadata_mask = {("nbgrader",)}
c.SandboxedExecute.timeout = 60  # seconds per cell
c.SandboxedExecute.notebook_timeout = 300  # seconds per notebook
c.Autograde.post_convert_hook = post_convert_hook
# A submission's files are untrusted: nbgrader builds its exporter after listing the submissions and before
# reading one, and this one leaves out links, pipes, devices and unusable names, and copies nothing else
# (rnngrade.submission). First it adds an assignment the gradebook lacks from solutions/ (rnngrade.gradebook):
# exercises/ is committed generated, so grading needs no `nbgrader generate_assignment` of its own.
c.Autograde.exporter_class = AutogradeExporter

# Nothing a student wrote may run in a person's browser. SanitizeOutputs cleans markdown and outputs once they
# are final (above: also before the run, so that a grading cut off leaves no active content either), and again
# wherever a notebook becomes HTML: the feedback, and formgrader's pages (its HTMLExporter), for notebooks
# graded before it existed.
# Feedback: written through no link (rnngrade.submission), its math typeset with no network (MathJax inlined,
# rnngrade.feedback), and the hidden tests' code removed: a student sees their results, not the tests.
c.GenerateFeedback.exporter_class = FeedbackExporter
c.GenerateFeedback.preprocessors = [GetGrades, CSSHTMLHeaderPreprocessor, SanitizeOutputs, ClearHiddenTests]
c.HTMLExporter.preprocessors = [SanitizeOutputs]

# The exchange (JupyterHub): $RNNGRADE_EXCHANGE, else nbgrader's /srv/nbgrader/exchange; students read the same
# (student/nbgrader_config.py). release_feedback skips, with a warning, students who handed in another way.
c.Exchange.root = exchange_root()
c.ExchangeFactory.release_feedback = ReleaseFeedback

# LMS downloads (`nbgrader zip_collect`): Canvas and Moodle file names, resubmissions mapped to the notebook.
c.ZipCollectApp.collector_plugin = LmsCollector

# Late work (rnngrade.late). The due date is the gradebook's: nbgrader db assignment add A --duedate="... UTC".
# A notebook loses `rate` per started `per` late (after `grace_minutes`), at most `cap`; rate and cap are
# fractions of the notebook's maximum score (unit "fraction") or points (unit "points"). Here: 10 % per started
# day, at most 50 %. Extensions: extensions.csv in this folder, columns student_id,assignment,extension (hours,
# or a new due date). The report says, per student, when it was handed in, how late, the penalty, the extension.
c.AssignLatePenalties.plugin_class = LatePenalty
c.LatePenalty.per = "day"
c.LatePenalty.rate = 0.10
c.LatePenalty.unit = "fraction"
c.LatePenalty.cap = 0.50
c.LatePenalty.grace_minutes = 0
c.LatePenalty.extensions_file = "extensions.csv"

# Grades for an LMS (rnngrade.export): `nbgrader export` writes one row per student, a column per function,
# blank (not 0) where not graded; `--RnnExport.canvas=True` writes Canvas's gradebook CSV instead.
c.ExportApp.plugin_class = RnnExport
c.RnnExport.canvas_columns = {}  # {"ex03_gates": "LSTM gates (4321)"}: Canvas's "Name (id)" of each assignment
