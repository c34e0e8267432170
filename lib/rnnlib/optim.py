"""Optimisers and gradient clipping over parameter trees: a dict of arrays, or a list of such dicts."""

import numpy as np


def leaves(tree, path=()):
    """Yield (path, array) for every array in a dict / list / tuple tree, in a fixed order."""
    if isinstance(tree, dict):
        for k in tree:
            yield from leaves(tree[k], path + (k,))
    elif isinstance(tree, list | tuple):
        for k, v in enumerate(tree):
            yield from leaves(v, path + (k,))
    else:
        yield path, tree


def _map(fn, tree):
    """A new tree of the same structure with fn applied to every array."""
    if isinstance(tree, dict):
        return {k: _map(fn, v) for k, v in tree.items()}
    if isinstance(tree, list | tuple):
        return type(tree)(_map(fn, v) for v in tree)
    return fn(tree)


def _pairs(params, grads, path=()):
    """(path, param, grad) for every array, matching grads to params by key (dicts) or position (lists)."""
    if isinstance(params, dict):
        if not isinstance(grads, dict) or set(params) != set(grads):
            got = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
            raise ValueError(f"grads{list(path)} must have the keys of params {sorted(params)}, got {got}")
        for k in params:
            yield from _pairs(params[k], grads[k], path + (k,))
    elif isinstance(params, list | tuple):
        if not isinstance(grads, list | tuple) or len(grads) != len(params):
            raise ValueError(f"grads{list(path)} must be a list of {len(params)} like params")
        for k, (p, g) in enumerate(zip(params, grads, strict=True)):
            yield from _pairs(p, g, path + (k,))
    elif params.shape != np.shape(grads):
        raise ValueError(f"grads{list(path)} has shape {np.shape(grads)}, expected {params.shape} like params")
    else:
        yield path, params, grads


def global_norm(grads):
    """sqrt of the sum of squares of every gradient entry in the tree."""
    return float(np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for _, g in leaves(grads))))


def clip_by_global_norm(grads, max_norm):
    """Scale all gradients by max_norm / norm when their global norm exceeds max_norm.

    Unlike clipping each entry, this keeps the direction of the update. Returns (clipped, norm);
    the input tree is not modified.
    """
    norm = global_norm(grads)
    scale = max_norm / norm if norm > max_norm else 1.0
    return _map(lambda g: g * np.asarray(scale, dtype=g.dtype), grads), norm


class SGD:
    """theta <- theta - lr * g."""

    def __init__(self, lr):
        self.lr = lr

    def step(self, params, grads):
        for _, p, g in _pairs(params, grads):
            p -= self.lr * g


class Adam:
    """Adam (Kingma & Ba, 2015), the same update as torch.optim.Adam:

    m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g^2,
    theta <- theta - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m, self.v = {}, {}

    def step(self, params, grads):
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        for path, p, g in _pairs(params, grads):
            m = self.m.setdefault(path, np.zeros_like(p))
            v = self.v.setdefault(path, np.zeros_like(p))
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            m_hat = m / (1 - b1**self.t)
            v_hat = v / (1 - b2**self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
