"""Text as numbers for a character-level model: a vocabulary, and batches for truncated backpropagation
through time that let the model carry its state from one batch to the next."""

from importlib.resources import files

import numpy as np

# Files that ship inside the package (rnnlib/data/README.md gives their source and licence): the course's
# corpus, seven plays by Shakespeare, and the character-level model trained on it.
DATA = files("rnnlib") / "data"
SHAKESPEARE = DATA / "shakespeare.txt"
CHAR_LM = DATA / "char_lm"


class Vocabulary:
    """The characters of a text, each with an integer id (its index in the sorted list)."""

    def __init__(self, chars):
        self.chars = sorted(set(chars))
        self.index = {ch: i for i, ch in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text):
        return cls(set(text))

    @property
    def size(self):
        return len(self.chars)

    def encode(self, text):
        unknown = sorted(set(text) - set(self.index))
        if unknown:
            raise ValueError(f"text has characters outside the vocabulary: {''.join(unknown)!r}")
        return np.fromiter((self.index[ch] for ch in text), dtype=np.int64, count=len(text))

    def decode(self, ids):
        return "".join(self.chars[i] for i in np.asarray(ids).ravel())


def split(ids, val_fraction=0.1):
    """(train, validation): the first part and the contiguous tail, so no passage is in both."""
    cut = int(round(len(ids) * (1 - val_fraction)))
    return ids[:cut], ids[cut:]


def tbptt_batches(ids, N, T):
    """Windows (xs, ys) of T steps from N parallel streams, time-major (T, N); ys is xs one character on.

    The text is cut into N contiguous streams; window j continues window j-1 in every stream, so the state a
    model ends a window with is the right state to start the next one with (truncated BPTT: the state is
    carried, the gradient is not).
    """
    L = (len(ids) - 1) // N
    if L < T:
        raise ValueError(f"ids has {len(ids)} characters: too few for N={N} streams of at least T={T} steps")
    streams = np.stack([ids[k * L:k * L + L + 1] for k in range(N)])  # (N, L + 1)
    for j in range(L // T):
        window = streams[:, j * T:j * T + T + 1]  # (N, T + 1)
        yield np.ascontiguousarray(window[:, :-1].T), np.ascontiguousarray(window[:, 1:].T)
