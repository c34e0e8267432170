"""Mistakes in ex01_recurrence: softmax, one RNN step, the RNN over a sequence, and the output layer."""

from . import mistake

# softmax --------------------------------------------------------------------------------------------------
mistake("softmax", "normalise each row over the last axis (axis=-1): every row must sum to 1, not every column",
        """
def softmax(x):
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
""")
mistake("softmax", "the rows do not sum to 1: divide the exponentials by their sum over the row", """
def softmax(x):
    return np.exp(x)
""")
mistake("softmax", "divide by the SUM of the exponentials of the row, not by their maximum", """
def softmax(x):
    e = np.exp(x)
    return e / e.max(axis=-1, keepdims=True)
""")
mistake("softmax", "sum over the last axis only (axis=-1, keepdims=True): each row is its own distribution, "
        "the whole array is not", """
def softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()
""")

# rnn_step_forward -----------------------------------------------------------------------------------------
_STEP = '''
def rnn_step_forward(x_t, s_prev, params):
    U, W, b = params["U"], params["W"], params["b"]
    s_t = {expression}
    return s_t, {{"x_t": x_t, "s_prev": s_prev, "s_t": s_t, "params": params}}
'''
mistake("rnn_step_forward", "s_t does not use the bias: add b inside the tanh",
        _STEP.format(expression="np.tanh(x_t @ U.T + s_prev @ W.T)"))
mistake("rnn_step_forward", "transpose W too: s_prev @ W.T (parameters are (out, in), so W s_{t-1} is s_prev @ W.T)",
        _STEP.format(expression="np.tanh(x_t @ U.T + s_prev @ W + b)"))
mistake("rnn_step_forward", "s_t is the pre-activation: apply np.tanh to x_t U^T + s_prev W^T + b",
        _STEP.format(expression="x_t @ U.T + s_prev @ W.T + b"))
mistake("rnn_step_forward", "s_t ignores the previous state: add s_prev @ W.T, the network's memory",
        _STEP.format(expression="np.tanh(x_t @ U.T + b)"))

# rnn_forward ----------------------------------------------------------------------------------------------
_FORWARD = '''
def rnn_forward(xs, s0, params):
    T, N, H = xs.shape[0], xs.shape[1], s0.shape[1]
    ss = np.zeros((T, N, H))
    steps, s_t = [], {start}
    for t in range(T):
        {step}
        steps.append(step)
    return {ss}, {{"steps": steps, "s0": s0, "params": params}}
'''
mistake("rnn_forward", "your states ignore s0: the first step must start from the s0 you are given, not from zeros",
        _FORWARD.format(start="np.zeros_like(s0)", ss="ss",
                        step="s_t, step = rnn_step_forward(xs[t], s_t, params)\n        ss[t] = s_t"))
mistake("rnn_forward", "every step starts from s0: pass the state of the previous step (s_{t-1}) to the next step",
        _FORWARD.format(start="s0", ss="ss",
                        step="s_t, step = rnn_step_forward(xs[t], s0, params)\n        ss[t] = s_t"))
mistake("rnn_forward", "ss[t] must hold s_t, the state AFTER reading xs[t]; yours holds the state before it "
        "(off by one step)",
        _FORWARD.format(start="s0", ss="ss",
                        step="ss[t] = s_t\n        s_t, step = rnn_step_forward(xs[t], s_t, params)"))
mistake("rnn_forward", "ss must be time-major, (T, N, H): stack the states along axis 0",
        _FORWARD.format(start="s0", ss="np.stack(list(ss), axis=1)",
                        step="s_t, step = rnn_step_forward(xs[t], s_t, params)\n        ss[t] = s_t"))

# softmax_output -------------------------------------------------------------------------------------------
mistake("softmax_output", "os does not use the bias: o_t = softmax(V s_t + c)", """
def softmax_output(ss, V, c):
    return softmax(ss @ V.T)
""")
mistake("softmax_output", "add c before the softmax, inside it: o_t = softmax(V s_t + c)", """
def softmax_output(ss, V, c):
    return softmax(ss @ V.T) + c
""")
mistake("softmax_output", "os holds the logits V s_t + c: apply softmax so that each o_t is a distribution", """
def softmax_output(ss, V, c):
    return ss @ V.T + c
""")
mistake("softmax_output", "normalise over the K words (the last axis), not over time: every o_t must sum to 1", """
def softmax_output(ss, V, c):
    a = ss @ V.T + c
    e = np.exp(a - a.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
""")
