"""rnncheck: the checks that the course's exercise notebooks run, for students and for the grader.

    from rnncheck import check
    check("forget_gate", forget_gate, seed=1, sizes=[{"N": 2, "D": 3, "H": 4}])
"""

from .check import check

__all__ = ["check"]
