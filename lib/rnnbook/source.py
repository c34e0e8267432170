"""Show the source code of library objects inside a notebook.

Chapters display `rnnlib` code through :func:`show_source` instead of copying it, so that what the book
shows is always what the library runs.
"""

import inspect
import textwrap


def get_source(*objs):
    """Return the source code of one or more functions, classes or modules as one string.

    Several objects are separated by a blank line, in the order given.
    """
    if not objs:
        raise ValueError("get_source needs at least one function, class or module, got none")
    parts = []
    for obj in objs:
        try:
            src = inspect.getsource(obj)
        except (TypeError, OSError) as err:
            raise ValueError(f"cannot find the source of {obj!r}: {err}") from err
        parts.append(textwrap.dedent(src).rstrip("\n"))
    return "\n\n\n".join(parts) + "\n"


def show_source(*objs):
    """Display the source code of one or more library objects, syntax highlighted.

    In a notebook (or a Jupyter Book page) the code is shown as a highlighted Python block through
    ``IPython.display.Code``; outside IPython it is printed. Returns ``None`` so that nothing extra is
    echoed when it is the last line of a cell.

    Example::

        from rnnlib.lstm import forget_gate, input_gate
        show_source(forget_gate, input_gate)
    """
    src = get_source(*objs)
    try:
        from IPython import get_ipython
        from IPython.display import Code, display
    except ImportError:  # pragma: no cover - IPython is installed with the course
        print(src, end="")
        return None
    if get_ipython() is None:
        print(src, end="")
    else:
        display(Code(src, language="python"))
    return None
