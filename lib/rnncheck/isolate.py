"""Grade one function at a time: while a check runs, swap the functions it calls for known-good ones."""

from contextlib import contextmanager


@contextmanager
def substitute(namespace, **functions):
    """Bind `functions` by name in `namespace` (a notebook's globals()) for the duration of the block.

    A hidden test uses it so that, say, lstm_step_forward is judged with correct gate functions: a mistake
    in forget_gate then costs forget_gate's points only.
    """
    missing = object()
    saved = {name: namespace.get(name, missing) for name in functions}
    namespace.update(functions)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value
