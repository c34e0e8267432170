"""rnncheck: the checks that the course's exercise notebooks run, for students and for the grader.

    from rnncheck import check, summary
    check("forget_gate", forget_gate, seed=1, sizes=[{"N": 2, "D": 3, "H": 4}])
    summary()   # which functions pass their checks in this kernel
"""

from .check import check
from .report import CheckFailed, summary

__all__ = ["CheckFailed", "check", "summary"]
