"""Where each gradient of a backward function comes from, in the order the backward pass computes it.

When outputs differ and no catalogued mistake explains them, they are listed in this order, each with the
line of the equations that makes it: the first one listed is the first place to look. The tables are declared
with each function, in its exercise's module (`flow=` of rnncheck.exercise.Exercise.grade).
"""

import re

from .exercises import FUNCTIONS

FLOW = {name: function.flow for name, function in FUNCTIONS.items() if function.flow}


def _rank(table, key):
    """(where key comes in the backward pass, its equation), or None when the table does not name it. Entries
    whose key holds "{l}" form a block that the pass runs once per layer, from the top layer down."""
    block = None
    for position, (pattern, equation) in enumerate(table):
        if "{l}" not in pattern:
            block = None
            if pattern == key:
                return (position, 0, 0), equation
            continue
        block = position if block is None else block
        found = re.fullmatch(re.escape(pattern).replace(re.escape("{l}"), r"(\d+)"), key)
        if found:
            l = int(found[1])
            return (block, -l, position), equation.format(l=l, above=l + 1)
    return None


def in_flow_order(name, keys):
    """keys ordered as the backward pass of `name` computes them (unknown keys last, as given), each with
    the equation it comes from (None where there is no table)."""
    table = FLOW.get(name, ())
    ranked = [(_rank(table, key), k, key) for k, key in enumerate(keys)]
    last = (len(table), 0, 0)
    ranked.sort(key=lambda r: (r[0][0] if r[0] else last, r[1]))
    return [(key, rank[1] if rank else None) for rank, _, key in ranked]
