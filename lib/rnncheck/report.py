"""What a student sees of a check: a failure as one clear message, and a summary of the kernel's checks."""

# The result of the last visible check of each function in this kernel, in the order first checked:
# name -> (passed, the call's seed and sizes). Only checks compared against shipped values count.
RESULTS = {}


class CheckFailed(AssertionError):
    """A visible check found a mistake. In Jupyter it shows as its message alone: the traceback would only
    point into rnncheck, which is not where the mistake is."""

    def _render_traceback_(self):  # IPython's protocol: these lines replace the traceback
        return [f"\x1b[31mCheckFailed\x1b[0m: {line}" if k == 0 else line
                for k, line in enumerate(str(self).splitlines())]


def record(name, passed, seed, sizes):
    RESULTS[name] = (passed, seed, sizes)


def summary(*names):
    """Print which functions pass their visible checks in this kernel, which fail and which were not checked.

    names: the functions to report on (default: every function checked so far). Returns None, so that a
    notebook shows the text once.
    """
    lines = []
    for name in names or RESULTS:
        if name not in RESULTS:
            lines.append(f"  ?  {name}: not checked yet in this session (run its check cell)")
        elif RESULTS[name][0]:
            lines.append(f"  ✓  {name}: passes its check")
        else:
            lines.append(f"  ✗  {name}: fails its check (see the message under its check cell)")
    passing = sum(RESULTS.get(name, (False,))[0] for name in names or RESULTS)
    text = "\n".join([f"{passing} of {len(lines)} functions pass their checks:"] + lines)
    if lines and passing == len(lines):
        text += "\nWhen graded, hidden tests check each of them again on new shapes and values."
    print(text)
