"""Keep freed memory for the next training step instead of handing it back to the operating system.

A training step allocates the same large temporaries (up to a few MB each) every time. glibc's malloc
serves blocks above its mmap threshold with fresh mappings and unmaps them when they are freed, so every
step faults all of that memory back in, one 4 kB page at a time. On the machine this course was measured
on, that was half the time of a training step, for numpy and torch alike (benchmarks/bench_char_lm.py).
Raising malloc's mmap and trim thresholds keeps freed blocks in the heap for reuse. The setting is
process-wide; without glibc this does nothing.
"""

import ctypes

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, from glibc's malloc.h
MMAP_THRESHOLD = 32 << 20  # glibc's largest: blocks up to 32 MB come from the reusable heap
TRIM_THRESHOLD = 256 << 20  # keep up to 256 MB of freed memory at the top of the heap


def keep_freed_memory():
    """Tell glibc's malloc to keep freed blocks for reuse; True if it accepted, False without glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(libc.mallopt(M_TRIM_THRESHOLD,
                                                                                        TRIM_THRESHOLD))
