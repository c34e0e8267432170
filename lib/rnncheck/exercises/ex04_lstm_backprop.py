"""Exercise 4, backpropagation through the LSTM: the backward pass through one step and through time."""

from ..draw import lstm_params, named, normal
from ..exercise import Exercise, variant

EXERCISE = Exercise("ex04_lstm_backprop")

EXERCISE.grade("lstm_step_backward", points=6, flow=(
    ("dC_prev", "(b) δC_{t-1} = δC_t * f_t, with (a) δC_t = dC_t + δh_t * o_t * (1 − tanh²(C_t))"),
    ("dW_f", "(d) δW_f = δa_fᵀ z_t, with (c) δa_f = δf_t * f_t (1 − f_t) and (b) δf_t = δC_t * C_{t-1}"),
    ("db_f", "(d) δb_f = δa_f summed over the batch rows"),
    ("dW_i", "(d) δW_i = δa_iᵀ z_t, with (c) δa_i = δi_t * i_t (1 − i_t) and (b) δi_t = δC_t * C̃_t"),
    ("db_i", "(d) δb_i = δa_i summed over the batch rows"),
    ("dW_C", "(d) δW_C = δa_Cᵀ z_t, with (c) δa_C = δC̃_t * (1 − C̃_t²) and (b) δC̃_t = δC_t * i_t"),
    ("db_C", "(d) δb_C = δa_C summed over the batch rows"),
    ("dW_o", "(d) δW_o = δa_oᵀ z_t, with (c) δa_o = δo_t * o_t (1 − o_t) and (a) δo_t = δh_t * tanh(C_t)"),
    ("db_o", "(d) δb_o = δa_o summed over the batch rows"),
    ("dh_prev", "(e) δh_{t-1} = the first H columns of δz_t = Σ_g δa_g W_g"),
    ("dx_t", "(e) δx_t = the last D columns of δz_t"),
))
EXERCISE.grade("lstm_backward", points=4, callees=("lstm_step_backward",), flow=(
    ("dxs", "dxs[t] = the δx_t of step t, called with dhs[t] + dh_next and dC_next"),
    *[(f"d{w}_{g}", f"δ{w}_{g} = the sum over t of every step's δ{w}_{g}") for g in "fiCo" for w in "Wb"],
    ("dh0", "δh_0 = the δh_{t-1} that the first step (t = 0) returns"),
    ("dC0", "δC_0 = the δC_{t-1} that the first step (t = 0) returns"),
))


@EXERCISE.case("lstm_step_backward", needs=("lstm_step_forward",))
def _lstm_step_backward(rng, fns, N, D, H, dtype="float64"):
    """input_dh_t, input_dC_t: the upstream gradients after the call, which must leave them as they were."""
    x_t, h_prev, C_prev = (normal(rng, N, n, dtype=dtype) for n in (D, H, H))
    params = lstm_params(rng, D, H, dtype)
    dh_t, dC_t = normal(rng, N, H, dtype=dtype), normal(rng, N, H, dtype=dtype)
    _, _, cache = fns.lstm_step_forward(x_t, h_prev, C_prev, params)
    dx_t, dh_prev, dC_prev, grads = fns.lstm_step_backward(dh_t, dC_t, cache)
    return {"dx_t": dx_t, "dh_prev": dh_prev, "dC_prev": dC_prev, **named("d", grads), "input_dh_t": dh_t,
            "input_dC_t": dC_t}


@EXERCISE.case("lstm_backward", needs=("lstm_forward",))
def _lstm_backward(rng, fns, T, N, D, H, dtype="float64"):
    xs, h0, C0 = normal(rng, T, N, D, dtype=dtype), normal(rng, N, H, dtype=dtype), normal(rng, N, H, dtype=dtype)
    params = lstm_params(rng, D, H, dtype)
    dhs = normal(rng, T, N, H, dtype=dtype)
    _, _, cache = fns.lstm_forward(xs, h0, C0, params)
    dxs, dh0, dC0, grads = fns.lstm_backward(dhs, cache)
    return {"dxs": dxs, "dh0": dh0, "dC0": dC0, **named("d", grads), "input_dhs": dhs}


# --- grader only: references and mistakes (a graded kernel sees this module cut here) ---
EXERCISE.reference("lstm_step_backward", "rnnlib.lstm.lstm_step_backward")
EXERCISE.reference("lstm_backward", "rnnlib.lstm.lstm_backward")
EXERCISE.reference("lstm_forward", "rnnlib.lstm.lstm_forward")  # given (rnncheck.given.ex03)

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
_step = variant(_STEP, {"dC": "dC_t + dh_t * o * (1 - tanh_C**2)", "C_for_df": 'cache["C_prev"]',
                        "dC_prev": "dC * f", "da_f": "df * f * (1 - f)", "tanh_prime": "(1 - C_tilde**2)",
                        "da_o": "do * o * (1 - o)", "split": "dz[:, H:], dz[:, :H]"})

EXERCISE.mistake("lstm_step_backward",
                 "the gradient of C_t has two sources: add dh_t * o_t * (1 - tanh(C_t)**2), the part that comes "
                 "through h_t = o_t * tanh(C_t), to dC_t",
                 _step(dC="dC_t"))
EXERCISE.mistake("lstm_step_backward",
                 "the gradient of C_t has two sources: add dC_t, what step t+1 sent back to C_t, to the part "
                 "dh_t * o_t * (1 - tanh(C_t)**2) that comes through h_t",
                 _step(dC="dh_t * o * (1 - tanh_C**2)"))
EXERCISE.mistake("lstm_step_backward",
                 "through h_t = o_t * tanh(C_t), C_t gets dh_t * o_t * tanh'(C_t), and tanh'(C_t) = "
                 "1 - tanh(C_t)**2: you multiplied by tanh(C_t) itself, not by its derivative",
                 _step(dC="dC_t + dh_t * o * tanh_C"))
EXERCISE.mistake("lstm_step_backward",
                 "C~_t = tanh(a_C), so da_C = dC~_t * (1 - C~_t**2), the tanh's derivative: you multiplied by C~_t "
                 "itself",
                 _step(tanh_prime="C_tilde"))
EXERCISE.mistake("lstm_step_backward",
                 "the forget gate multiplies the previous cell state: df = dC * C_prev (cache['C_prev']), not "
                 "dC * C_t",
                 _step(C_for_df='cache["C_t"]'))
EXERCISE.mistake("lstm_step_backward",
                 "the output gate's gradient misses the sigmoid's derivative: da_o = do * o_t * (1 - o_t)",
                 _step(da_o="do"))
EXERCISE.mistake("lstm_step_backward",
                 "the forget gate's gradient misses the sigmoid's derivative: da_f = df * f_t * (1 - f_t)",
                 _step(da_f="df"))
EXERCISE.mistake("lstm_step_backward",
                 "tanh'(a) = 1 - tanh(a)**2: the candidate needs (1 - C_tilde_t**2), not (1 - C_tilde_t)",
                 _step(tanh_prime="(1 - C_tilde)"))
EXERCISE.mistake("lstm_step_backward",
                 "z_t = [h_prev, x_t] has h first: dh_prev is dz[:, :H] (the first H columns), dx_t is dz[:, H:]",
                 _step(split="dz[:, :D], dz[:, D:]"))
EXERCISE.mistake("lstm_step_backward",
                 "C_t = f_t * C_prev + ...: dC_prev = dC * f_t (the gradient passes through the forget gate)",
                 _step(dC_prev="dC"))
EXERCISE.mistake("lstm_step_backward",
                 "lstm_step_backward changed the dC_t it was given: after dC = dC_t, dC += ... adds into the "
                 "caller's array (both names are one array); write dC = dC_t + dh_t * o_t * (1 - tanh(C_t)**2), "
                 "a new array",
                 _step(dC="dC_t\n    dC += dh_t * o * (1 - tanh_C**2)"))

# Backpropagation through time ------------------------------------------------------------------------------
_BPTT = '''
def lstm_backward(dhs, cache):
    steps, params = cache["steps"], cache["params"]
    T, N, D = cache["xs_shape"]
    dxs = {alloc}
    dh_next = np.zeros_like(dhs[0])
    dC_next = np.zeros_like(dhs[0])
    grads = {{k: np.zeros_like(v) for k, v in params.items()}}
    for t in {order}:
        {before}
        dxs[t], dh_prev, dC_prev, step_grads = lstm_step_backward({dh}, {dC}, steps[t])
        {carry}
        for k in grads:
            {accumulate}
    return dxs, dh_next, dC_next, grads
'''
_bptt = variant(_BPTT, {"alloc": "np.zeros((T, N, D), dtype=dhs.dtype)", "order": "reversed(range(T))",
                        "before": "pass", "dh": "dhs[t] + dh_next", "dC": "dC_next",
                        "carry": "dh_next, dC_next = dh_prev, dC_prev", "accumulate": "grads[k] += step_grads[k]"})

EXERCISE.mistake("lstm_backward",
                 "h_t is read by the layer above and by step t+1: call the step with dhs[t] + dh_next, the dh_prev "
                 "that step t+1 returned",
                 _bptt(dh="dhs[t]"))
EXERCISE.mistake("lstm_backward",
                 "carry the cell state's gradient back in time: the dC_prev of step t+1 is the dC_t of step t",
                 _bptt(carry="dh_next, dC_next = dh_prev, np.zeros_like(dC_prev)"))
EXERCISE.mistake("lstm_backward",
                 "each step gets the cell gradient that step t+1 sent back: pass dC_next (the dC_prev step t+1 "
                 "returned) as the step's dC_t, not zeros",
                 _bptt(dC="np.zeros_like(dC_next)"))
EXERCISE.mistake("lstm_backward",
                 "the weights are shared by every step: add each step's grads to the totals (+=), don't overwrite "
                 "them",
                 _bptt(accumulate="grads[k] = step_grads[k]"))
EXERCISE.mistake("lstm_backward",
                 "backpropagation runs backwards in time: loop over reversed(range(T)), from the last step to the "
                 "first",
                 _bptt(order="range(T)"))
EXERCISE.mistake("lstm_backward",
                 "dxs is float64 although the inputs are float32: np.zeros((T, N, D)) makes float64 whatever the "
                 "inputs; give it their dtype, np.zeros((T, N, D), dtype=dhs.dtype)",
                 _bptt(alloc="np.zeros((T, N, D))"))
EXERCISE.mistake("lstm_backward",
                 "lstm_backward changed the dhs it was given: dhs[t] += dh_next adds into the caller's array; pass "
                 "the sum as a new array, lstm_step_backward(dhs[t] + dh_next, ...)",
                 _bptt(before="dhs[t] += dh_next", dh="dhs[t]"))
