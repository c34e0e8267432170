"""Every check's case, by the check's name: a lookup over the exercises' modules (rnncheck.exercises), where each
case is declared with its exercise."""

from .exercise import Case, WrongResult
from .exercises import CASES

__all__ = ["CASES", "Case", "WrongResult"]
