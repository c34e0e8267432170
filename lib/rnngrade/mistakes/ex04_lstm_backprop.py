"""Mistakes in ex04_lstm_backprop: the backward pass through one LSTM step and through time."""

from . import mistake, variant

# One template for the step: each mistake changes one line of the derivation ------------------------------
_STEP = '''
def lstm_step_backward(dh_t, dC_t, cache):
    f, i, C_tilde, o = cache["f_t"], cache["i_t"], cache["C_tilde_t"], cache["o_t"]
    z_t, params = cache["z_t"], cache["params"]
    H = dh_t.shape[1]
    tanh_C = np.tanh(cache["C_t"])
    do = dh_t * tanh_C
    dC = {dC}
    df, di, dC_tilde, dC_prev = dC * {C_for_df}, dC * C_tilde, dC * i, {dC_prev}
    da = {{"f": {da_f}, "i": di * i * (1 - i), "C": dC_tilde * {tanh_prime}, "o": {da_o}}}
    grads = {{}}
    dz = np.zeros_like(z_t)
    for g in ("f", "i", "C", "o"):
        grads[f"W_{{g}}"] = da[g].T @ z_t
        grads[f"b_{{g}}"] = da[g].sum(axis=0)
        dz += da[g] @ params[f"W_{{g}}"]
    D = z_t.shape[1] - H
    return {split}, dC_prev, grads
'''
_RIGHT = {"dC": "dC_t + dh_t * o * (1 - tanh_C**2)", "C_for_df": 'cache["C_prev"]', "dC_prev": "dC * f",
          "da_f": "df * f * (1 - f)", "tanh_prime": "(1 - C_tilde**2)", "da_o": "do * o * (1 - o)",
          "split": "dz[:, H:], dz[:, :H]"}

_step = variant(_STEP, _RIGHT)

mistake("lstm_step_backward",
        "the gradient of C_t has two sources: add dh_t * o_t * (1 - tanh(C_t)**2), the part that comes through "
        "h_t = o_t * tanh(C_t), to dC_t",
        _step(dC="dC_t"))
mistake("lstm_step_backward",
        "the gradient of C_t has two sources: add dC_t, what step t+1 sent back to C_t, to the part "
        "dh_t * o_t * (1 - tanh(C_t)**2) that comes through h_t",
        _step(dC="dh_t * o * (1 - tanh_C**2)"))
mistake("lstm_step_backward",
        "through h_t = o_t * tanh(C_t), C_t gets dh_t * o_t * tanh'(C_t), and tanh'(C_t) = 1 - tanh(C_t)**2: "
        "you multiplied by tanh(C_t) itself, not by its derivative",
        _step(dC="dC_t + dh_t * o * tanh_C"))
mistake("lstm_step_backward",
        "C~_t = tanh(a_C), so da_C = dC~_t * (1 - C~_t**2), the tanh's derivative: you multiplied by C~_t "
        "itself",
        _step(tanh_prime="C_tilde"))
mistake("lstm_step_backward",
        "the forget gate multiplies the previous cell state: df = dC * C_prev (cache['C_prev']), not dC * C_t",
        _step(C_for_df='cache["C_t"]'))
mistake("lstm_step_backward",
        "the output gate's gradient misses the sigmoid's derivative: da_o = do * o_t * (1 - o_t)",
        _step(da_o="do"))
mistake("lstm_step_backward",
        "the forget gate's gradient misses the sigmoid's derivative: da_f = df * f_t * (1 - f_t)",
        _step(da_f="df"))
mistake("lstm_step_backward",
        "tanh'(a) = 1 - tanh(a)**2: the candidate needs (1 - C_tilde_t**2), not (1 - C_tilde_t)",
        _step(tanh_prime="(1 - C_tilde)"))
mistake("lstm_step_backward",
        "z_t = [h_prev, x_t] has h first: dh_prev is dz[:, :H] (the first H columns), dx_t is dz[:, H:]",
        _step(split="dz[:, :D], dz[:, D:]"))
mistake("lstm_step_backward",
        "C_t = f_t * C_prev + ...: dC_prev = dC * f_t (the gradient passes through the forget gate)",
        _step(dC_prev="dC"))

# Backpropagation through time ------------------------------------------------------------------------------
_BPTT = '''
def lstm_backward(dhs, cache):
    steps, params = cache["steps"], cache["params"]
    T, N, D = cache["xs_shape"]
    dxs = np.zeros((T, N, D))
    dh_next = np.zeros_like(dhs[0])
    dC_next = np.zeros_like(dhs[0])
    grads = {{k: np.zeros_like(v) for k, v in params.items()}}
    for t in {order}:
        dxs[t], dh_prev, dC_prev, step_grads = lstm_step_backward({dh}, {dC}, steps[t])
        {carry}
        for k in grads:
            {accumulate}
    return dxs, dh_next, dC_next, grads
'''
_BPTT_RIGHT = {"order": "reversed(range(T))", "dh": "dhs[t] + dh_next", "dC": "dC_next",
               "carry": "dh_next, dC_next = dh_prev, dC_prev", "accumulate": "grads[k] += step_grads[k]"}

_bptt = variant(_BPTT, _BPTT_RIGHT)

mistake("lstm_backward",
        "h_t is read by the layer above and by step t+1: call the step with dhs[t] + dh_next, the dh_prev that "
        "step t+1 returned",
        _bptt(dh="dhs[t]"))
mistake("lstm_backward",
        "carry the cell state's gradient back in time: the dC_prev of step t+1 is the dC_t of step t",
        _bptt(carry="dh_next, dC_next = dh_prev, np.zeros_like(dC_prev)"))
mistake("lstm_backward",
        "each step gets the cell gradient that step t+1 sent back: pass dC_next (the dC_prev step t+1 returned) "
        "as the step's dC_t, not zeros",
        _bptt(dC="np.zeros_like(dC_next)"))
mistake("lstm_backward",
        "the weights are shared by every step: add each step's grads to the totals (+=), don't overwrite them",
        _bptt(accumulate="grads[k] = step_grads[k]"))
mistake("lstm_backward",
        "backpropagation runs backwards in time: loop over reversed(range(T)), from the last step to the first",
        _bptt(order="range(T)"))
