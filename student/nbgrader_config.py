"""nbgrader's configuration for students of the course (fetch, submit, fetch feedback, and the Assignments tab).

Put it where every student's Jupyter reads it: /etc/jupyter/nbgrader_config.py on a JupyterHub, or the
folder a student runs nbgrader from. The exchange folder is $RNNGRADE_EXCHANGE, else /srv/nbgrader/exchange,
as for the instructor (rnngrade.exchange).
"""

from rnngrade.exchange import COURSE_ID, exchange_root

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = COURSE_ID
c.Exchange.root = exchange_root()
