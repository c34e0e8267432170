"""Flags: what went wrong with a submission, kept in the notebook's metadata until the report is written."""


def add_flag(nb, kind, reason, cell=None):
    """Record a flag on the notebook being graded. kind: a short word; reason: a sentence for the instructor."""
    flags = nb.metadata.setdefault("rnngrade", {}).setdefault("flags", [])
    flag = {"kind": kind, "reason": reason}
    if cell is not None:
        flag["cell"] = cell
    if flag not in flags:
        flags.append(flag)


def cell_name(cell, index):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {index}"
