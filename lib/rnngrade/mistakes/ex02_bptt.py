"""Mistakes in ex02_bptt: one step backward, backpropagation through time, numerical gradients, clipping."""

from . import mistake

# rnn_step_backward ----------------------------------------------------------------------------------------
_STEP_BACK = '''
def rnn_step_backward(ds_t, cache):
    x_t, s_prev, s_t = cache["x_t"], cache["s_prev"], cache["s_t"]
    U, W = cache["params"]["U"], cache["params"]["W"]
    da = {da}
    grads = {{"U": {dU}, "W": {dW}, "b": {db}}}
    return da @ U, {ds_prev}, grads
'''
_RIGHT = {"da": "ds_t * (1 - s_t**2)", "dU": "da.T @ x_t", "dW": "da.T @ s_prev", "db": "da.sum(axis=0)",
          "ds_prev": "da @ W"}
mistake("rnn_step_backward", "the gradient must go back through the tanh first: da = ds_t * (1 - s_t**2)",
        _STEP_BACK.format(**{**_RIGHT, "da": "ds_t"}))
mistake("rnn_step_backward", "tanh'(a_t) = 1 - tanh(a_t)**2 = 1 - s_t**2: multiply ds_t by that derivative, "
        "not by tanh(a_t) = s_t itself",
        _STEP_BACK.format(**{**_RIGHT, "da": "ds_t * s_t"}))
mistake("rnn_step_backward", "s_t is already tanh(a_t): the derivative is 1 - s_t**2, not 1 - tanh(s_t)**2 "
        "(that applies the tanh twice)",
        _STEP_BACK.format(**{**_RIGHT, "da": "ds_t * (1 - np.tanh(s_t)**2)"}))
mistake("rnn_step_backward", "dW = da^T s_prev: W multiplied the PREVIOUS state s_prev, not s_t",
        _STEP_BACK.format(**{**_RIGHT, "dW": "da.T @ s_t"}))
mistake("rnn_step_backward", "db must have b's shape (H,): sum da over the batch (axis=0)",
        _STEP_BACK.format(**{**_RIGHT, "db": "da"}))
mistake("rnn_step_backward", "ds_prev = da @ W, without a transpose: the forward pass used s_prev @ W.T",
        _STEP_BACK.format(**{**_RIGHT, "ds_prev": "da @ W.T"}))
mistake("rnn_step_backward", "dU must have U's shape (H, D): da.T @ x_t, not x_t.T @ da",
        _STEP_BACK.format(**{**_RIGHT, "dU": "x_t.T @ da"}))

# rnn_backward ---------------------------------------------------------------------------------------------
_BPTT = '''
def rnn_backward(dss, cache):
    steps = cache["steps"]
    T = len(steps)
    grads = {{k: np.zeros_like(cache["params"][k]) for k in ("U", "W", "b")}}
    dxs = np.zeros((T,) + steps[0]["x_t"].shape)
    ds_prev = {start}
    for t in {order}:
        dxs[t], ds_prev, step_grads = rnn_step_backward({upstream}, steps[t])
        for k in grads:
            grads[k] {accumulate} step_grads[k]
    return dxs, ds_prev, grads
'''
_BPTT_RIGHT = {"start": "np.zeros_like(cache['s0'])", "order": "reversed(range(T))",
               "upstream": "dss[t] + ds_prev", "accumulate": "+="}
mistake("rnn_backward", "the gradient through the time loop is missing: the gradient reaching s_t is dss[t] PLUS "
        "the ds_prev that flows back from step t+1",
        _BPTT.format(**{**_BPTT_RIGHT, "upstream": "dss[t]"}))
mistake("rnn_backward", "every s_t gets its own upstream gradient dss[t]: add dss[t] to what flows back from step "
        "t+1 at every step, not only at the last one",
        _BPTT.format(**{**_BPTT_RIGHT, "start": "np.zeros_like(cache['s0']) + dss[-1]", "upstream": "ds_prev"}))
mistake("rnn_backward", "U, W and b are shared by every step: add up (+=) their gradients over all steps, "
        "do not keep only one step's",
        _BPTT.format(**{**_BPTT_RIGHT, "accumulate": "="}))
mistake("rnn_backward", "go backwards in time, from t = T-1 down to 0: step t needs the gradient from step t+1",
        _BPTT.format(**{**_BPTT_RIGHT, "order": "range(T)"}))

# numerical_gradient ---------------------------------------------------------------------------------------
_NUMGRAD = '''
def numerical_gradient(f, x, df=None, eps=1e-6):
    def value(p):
        out = f(p)
        return out if df is None else np.sum(out * {df})

    work = {work}
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        old = float(work[idx])
        work[idx] = old + eps
        plus = value(work)
        work[idx] = old - {back}
        minus = value(work)
        {restore}
        grad[idx] = (plus - minus) / {divide}
    return grad
'''
_NUMGRAD_RIGHT = {"df": "df", "work": "x.astype(np.float64)", "back": "eps", "restore": "work[idx] = old",
                  "divide": "(2 * eps)"}
mistake("numerical_gradient", "use the central difference (f(x + eps) - f(x - eps)) / (2 eps): a one-sided "
        "difference from x is less accurate",
        _NUMGRAD.format(**{**_NUMGRAD_RIGHT, "back": "0", "divide": "eps"}).replace("old - 0", "old"))
mistake("numerical_gradient", "the two points x + eps and x - eps are 2 eps apart: divide by 2 * eps",
        _NUMGRAD.format(**{**_NUMGRAD_RIGHT, "divide": "eps"}))
mistake("numerical_gradient", "x has changed after the call: put every entry back after you perturb it "
        "(or perturb a copy of x)",
        _NUMGRAD.format(**{**_NUMGRAD_RIGHT, "work": "x", "restore": "pass"}))
mistake("numerical_gradient", "with an upstream gradient df, differentiate sum(f(x) * df), not sum(f(x))",
        _NUMGRAD.format(**{**_NUMGRAD_RIGHT, "df": "1"}))

# clip_by_global_norm --------------------------------------------------------------------------------------
mistake("clip_by_global_norm", "scale every gradient by max_norm / norm; clipping each entry to [-max_norm, "
        "max_norm] changes the direction of the update", """
def clip_by_global_norm(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    return {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}, norm
""")
mistake("clip_by_global_norm", "scale only when norm > max_norm: gradients whose norm is already small are "
        "returned unchanged", """
def clip_by_global_norm(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    return {k: g * (max_norm / norm) for k, g in grads.items()}, norm
""")
mistake("clip_by_global_norm", "return the norm BEFORE clipping (it tells how large the gradient really was)", """
def clip_by_global_norm(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    scale = max_norm / norm if norm > max_norm else 1.0
    clipped = {k: g * scale for k, g in grads.items()}
    return clipped, np.sqrt(sum(np.sum(g**2) for g in clipped.values()))
""")
mistake("clip_by_global_norm", "the global norm is the square root of the sum of the squares of ALL entries, "
        "not the sum of each array's norm", """
def clip_by_global_norm(grads, max_norm):
    norm = sum(np.linalg.norm(g) for g in grads.values())
    scale = max_norm / norm if norm > max_norm else 1.0
    return {k: g * scale for k, g in grads.items()}, norm
""")
mistake("clip_by_global_norm", "the gradients passed in have changed: return new arrays (g * scale) in a new "
        "dict and leave grads as they are", """
def clip_by_global_norm(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    if norm > max_norm:
        for g in grads.values():
            g *= max_norm / norm
    return grads, norm
""")
