"""Parameter initialisation, always from an explicit np.random.Generator so that a seed fixes everything.

Weights and biases are drawn uniformly from [-1/sqrt(H), 1/sqrt(H)], as torch.nn.RNN and torch.nn.LSTM do.
"""

import numpy as np

from .lstm import GATES


def _uniform(rng, H, shape, dtype):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a np.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    bound = 1.0 / np.sqrt(H)
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def rnn_params(D, H, rng, dtype=np.float64):
    """U (H, D), W (H, H), b (H,)."""
    return {"U": _uniform(rng, H, (H, D), dtype), "W": _uniform(rng, H, (H, H), dtype),
            "b": _uniform(rng, H, (H,), dtype)}


def lstm_params(D, H, rng, dtype=np.float64, forget_bias=0.0):
    """W_f, W_i, W_C, W_o (H, H + D) and b_f, b_i, b_C, b_o (H,).

    forget_bias is added to b_f. The default 0 initialises b_f like every other bias, as PyTorch does;
    a positive value (1.0 is widely recommended) starts the cell remembering.
    """
    params = {f"W_{g}": _uniform(rng, H, (H, H + D), dtype) for g in GATES}
    params.update({f"b_{g}": _uniform(rng, H, (H,), dtype) for g in GATES})
    params["b_f"] += forget_bias
    return params


def stacked_lstm_params(D, H, L, rng, dtype=np.float64, forget_bias=0.0):
    """A list of L LSTM params dicts: layer 0 reads D features, the layers above read H."""
    return [lstm_params(D if l == 0 else H, H, rng, dtype, forget_bias) for l in range(L)]


def output_params(H, K, rng, dtype=np.float64):
    """V (K, H) and c (K,) for o_t = softmax(V s_t + c)."""
    return {"V": _uniform(rng, H, (K, H), dtype), "c": _uniform(rng, H, (K,), dtype)}
