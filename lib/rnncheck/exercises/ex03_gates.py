"""Exercise 3, the LSTM gates one by one: the four gates, the cell update, the hidden state and the LSTM step."""

import numpy as np

from ..draw import lstm_params, normal, sigmoid
from ..exercise import Exercise, variant

EXERCISE = Exercise("ex03_gates")

GATES = ("forget_gate", "input_gate", "candidate_cell", "output_gate")
EXERCISE.grade("forget_gate", points=2)
EXERCISE.grade("input_gate", points=2)
EXERCISE.grade("candidate_cell", points=2)
EXERCISE.grade("cell_update", points=2)
EXERCISE.grade("output_gate", points=2)
EXERCISE.grade("hidden_state", points=2)
EXERCISE.grade("lstm_step_forward", points=3,
               callees=("forget_gate", "input_gate", "candidate_cell", "cell_update", "output_gate", "hidden_state"))

_OUTPUT = {"forget_gate": "f_t", "input_gate": "i_t", "candidate_cell": "C_tilde_t", "output_gate": "o_t"}


def _gate_case(name):
    def make(rng, fns, N, D, H, dtype="float64"):
        h_prev, x_t = normal(rng, N, H, dtype=dtype), normal(rng, N, D, dtype=dtype)
        W, b = normal(rng, H, H + D, dtype=dtype), normal(rng, H, dtype=dtype)
        return {_OUTPUT[name]: getattr(fns, name)(h_prev, x_t, W, b)}
    make.__name__ = f"_{name}"
    return EXERCISE.case(name)(make)


for _name in GATES:
    _gate_case(_name)


@EXERCISE.case("cell_update")
def _cell_update(rng, fns, N, H, dtype="float64"):
    sig = sigmoid(normal(rng, 2, N, H)).astype(dtype)
    f_t, i_t = sig[0], sig[1]
    C_prev, C_tilde_t = normal(rng, N, H, dtype=dtype), np.tanh(normal(rng, N, H)).astype(dtype)
    return {"C_t": fns.cell_update(f_t, C_prev, i_t, C_tilde_t)}


@EXERCISE.case("hidden_state")
def _hidden_state(rng, fns, N, H, dtype="float64"):
    o_t, C_t = sigmoid(normal(rng, N, H)).astype(dtype), normal(rng, N, H, scale=2.0, dtype=dtype)
    return {"h_t": fns.hidden_state(o_t, C_t)}


@EXERCISE.case("lstm_step_forward")
def _lstm_step_forward(rng, fns, N, D, H, dtype="float64"):
    x_t, h_prev, C_prev = (normal(rng, N, n, dtype=dtype) for n in (D, H, H))
    h_t, C_t, _ = fns.lstm_step_forward(x_t, h_prev, C_prev, lstm_params(rng, D, H, dtype))
    return {"h_t": h_t, "C_t": C_t}


# --- grader only: references and mistakes (a graded kernel sees this module cut here) ---
for _name in (*GATES, "cell_update", "hidden_state", "lstm_step_forward"):
    EXERCISE.reference(_name, f"rnnlib.lstm.{_name}")

# One template serves the three sigmoid gates and the candidate --------------------------------
_GATE = '''
def {name}(h_prev, x_t, W, b):
    z_t = np.concatenate([{first}, {second}], axis=1)
    a = z_t @ W.T{bias}
    return {activation}
'''
_SIGMOID, _TANH, _NONE = "1 / (1 + np.exp(-a))", "np.tanh(a)", "a"
for _name, _symbol in _OUTPUT.items():
    _act = _TANH if _name == "candidate_cell" else _SIGMOID
    _wrong_act = _TANH if _act == _SIGMOID else _SIGMOID
    _act_hint = (f"{_symbol} has values outside (0, 1): did you apply the sigmoid (not tanh)?" if _act == _SIGMOID
                 else f"{_symbol} has values only in (0, 1): the candidate uses tanh, not the sigmoid")
    EXERCISE.mistake(_name, _act_hint, _GATE.format(name=_name, first="h_prev", second="x_t", bias=" + b",
                                                    activation=_wrong_act))
    EXERCISE.mistake(_name, f"{_symbol} does not use the bias: add b after the product",
                     _GATE.format(name=_name, first="h_prev", second="x_t", bias="", activation=_act))
    EXERCISE.mistake(_name, "concatenate as [h_prev, x_t]: h_prev first, then x_t, as the columns of W are laid out",
                     _GATE.format(name=_name, first="x_t", second="h_prev", bias=" + b", activation=_act))
    EXERCISE.mistake(_name, f"{_symbol} is the pre-activation: apply the "
                     f"{'sigmoid' if _act == _SIGMOID else 'tanh'}",
                     _GATE.format(name=_name, first="h_prev", second="x_t", bias=" + b", activation=_NONE))

EXERCISE.mistake("cell_update", "C_t = f_t * C_prev + i_t * C_tilde_t: the old cell state C_prev is missing", """
def cell_update(f_t, C_prev, i_t, C_tilde_t):
    return i_t * C_tilde_t
""")
EXERCISE.mistake("cell_update", "the gates are swapped: f_t multiplies C_prev and i_t multiplies C_tilde_t", """
def cell_update(f_t, C_prev, i_t, C_tilde_t):
    return f_t * C_tilde_t + i_t * C_prev
""")
EXERCISE.mistake("cell_update", "the candidate must pass through the input gate: i_t * C_tilde_t", """
def cell_update(f_t, C_prev, i_t, C_tilde_t):
    return f_t * C_prev + C_tilde_t
""")
EXERCISE.mistake("cell_update", "the old state must pass through the forget gate: f_t * C_prev", """
def cell_update(f_t, C_prev, i_t, C_tilde_t):
    return C_prev + i_t * C_tilde_t
""")

EXERCISE.mistake("hidden_state", "h_t = o_t * tanh(C_t): the tanh is missing", """
def hidden_state(o_t, C_t):
    return o_t * C_t
""")
EXERCISE.mistake("hidden_state", "squash the cell state with tanh, not the sigmoid", """
def hidden_state(o_t, C_t):
    return o_t / (1 + np.exp(-C_t))
""")
EXERCISE.mistake("hidden_state", "the output gate multiplies tanh(C_t); it is not added to it", """
def hidden_state(o_t, C_t):
    return o_t + np.tanh(C_t)
""")
EXERCISE.mistake("hidden_state", "apply tanh to C_t alone, then multiply by o_t: h_t = o_t * tanh(C_t)", """
def hidden_state(o_t, C_t):
    return np.tanh(o_t * C_t)
""")

_STEP = variant('''
def lstm_step_forward(x_t, h_prev, C_prev, params):
    f_t = forget_gate({z}, params["W_f"], params["b_f"])
    i_t = input_gate({z}, params["W_i"], params["b_i"])
    C_tilde_t = candidate_cell({z}, params["W_C"], params["b_C"])
    C_t = cell_update({update})
    o_t = output_gate({z}, params["{W_o}"], params["{b_o}"])
    h_t = hidden_state(o_t, {C_h})
    return {returns}, {{}}
''', {"z": "h_prev, x_t", "update": "f_t, C_prev, i_t, C_tilde_t", "W_o": "W_o", "b_o": "b_o", "C_h": "C_t",
       "returns": "h_t, C_t"})
EXERCISE.mistake("lstm_step_forward", "the cell update must start from C_prev, the previous cell state",
                 _STEP(update="f_t, np.zeros_like(C_prev), i_t, C_tilde_t"))
EXERCISE.mistake("lstm_step_forward", "h_t is computed from the new cell state C_t, not from C_prev",
                 _STEP(C_h="C_prev"))
EXERCISE.mistake("lstm_step_forward", "return h_t first, then C_t (and the cache)", _STEP(returns="C_t, h_t"))
EXERCISE.mistake("lstm_step_forward", "each gate has its own parameters: output_gate takes params['W_o'] and "
                 "params['b_o']", _STEP(W_o="W_f", b_o="b_f"))
EXERCISE.mistake("lstm_step_forward", "cell_update takes its arguments in the order (f_t, C_prev, i_t, C_tilde_t)",
                 _STEP(update="f_t, i_t, C_prev, C_tilde_t"))
EXERCISE.mistake("lstm_step_forward",
                 "the gate functions take h_prev first, then x_t (lstm_step_forward itself takes x_t first)",
                 _STEP(z="x_t, h_prev"))
