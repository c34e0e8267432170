"""Where the gradebook is: `$RNNGRADE_DB_URL` (any SQLAlchemy URL nbgrader accepts, for example
`postgresql+psycopg2://grader@/gradebook?host=/run/postgresql`), else nbgrader's `gradebook.db` (SQLite) in the
course's root folder. nbgrader_config.py, the report and the parallel runs all read it from here.

Several gradings write to one SQLite file when they run side by side: each connection waits for a lock up to
a minute instead of failing at once with "database is locked" (SQLite's default is not to wait at all).
"""

import os
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 60_000


def configured_url():
    """$RNNGRADE_DB_URL, or None for nbgrader's default."""
    return os.environ.get("RNNGRADE_DB_URL") or None


def db_url(root):
    return configured_url() or f"sqlite:///{Path(root).resolve() / 'gradebook.db'}"


@event.listens_for(Engine, "connect")
def _wait_for_locks(connection, _record):
    if type(connection).__module__.startswith("sqlite3"):
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
