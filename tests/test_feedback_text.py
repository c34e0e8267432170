"""What a student reads when a visible check fails: the named mistake, the arrays in the order of the
backward flow with their equations (layer by layer for the stacked LSTM), the keys of a wrong dict, a result of
another dtype, an input changed in place, a wrong step blamed before its loop, a message without a traceback into
rnncheck, and the summary of the kernel's checks."""

import textwrap

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from rnncheck import CheckFailed, check, summary
from rnncheck import report as rnncheck_report
from rnncheck.given import ex04 as REFERENCE  # plain numpy: checked code may not call rnnlib
from rnncheck.given.ex03 import lstm_forward, lstm_step_forward

STEP = {"N": 2, "D": 3, "H": 4}
SEQUENCE = {"T": 3, "N": 2, "D": 3, "H": 4}


@pytest.fixture(autouse=True)
def fresh_results():
    rnncheck_report.RESULTS.clear()
    yield
    rnncheck_report.RESULTS.clear()


def failure(name, *functions, sizes):
    with pytest.raises(CheckFailed) as err:
        check(name, *functions, seed=0, sizes=sizes)
    return str(err.value)


def step_backward(change):
    """The reference lstm_step_backward with `change(dx_t, dh_prev, dC_prev, grads)` applied to its results."""
    def lstm_step_backward(dh_t, dC_t, cache):
        return change(*REFERENCE.lstm_step_backward(dh_t, dC_t, cache))
    return lstm_step_backward


def test_a_classic_mistake_is_named():
    def no_incoming(dh_t, dC_t, cache):
        return REFERENCE.lstm_step_backward(dh_t, 0 * dC_t, cache)
    message = failure("lstm_step_backward", no_incoming, lstm_step_forward, sizes=[STEP])
    assert "add dC_t, what step t+1 sent back to C_t" in message


def test_unnamed_differences_come_in_the_order_of_the_backward_flow_with_their_equations():
    def wrong(dx_t, dh_prev, dC_prev, grads):
        return 2 * dx_t, dh_prev, 2 * dC_prev, {**grads, "W_f": 2 * grads["W_f"]}
    message = failure("lstm_step_backward", step_backward(wrong), lstm_step_forward, sizes=[STEP])
    lines = message.splitlines()
    assert "in the order the backward pass computes them" in lines[0]
    assert [line.split(",")[0].strip() for line in lines[1:4]] == ["dC_prev", "dW_f", "dx_t"]
    assert "δW_f = δa_fᵀ z_t" in lines[2]
    assert lines[-1].strip().startswith("correct: db_f, dW_i")


def test_wrong_gradient_keys_are_named_as_returned_and_as_expected():
    def renamed(dx_t, dh_prev, dC_prev, grads):
        return dx_t, dh_prev, dC_prev, {"d" + k: v for k, v in grads.items()}
    message = failure("lstm_step_backward", step_backward(renamed), lstm_step_forward, sizes=[STEP])
    returned, expected = message.split(" returned has the keys ")[1].split(" were expected")[0].split(" where ")
    assert set(returned.split(", ")) == {f"'d{w}_{g}'" for w in "Wb" for g in "fiCo"}
    assert expected.startswith("'W_f', 'b_f', 'W_i'")
    assert "is missing" not in message


def test_a_wrong_step_is_blamed_before_its_loop():
    def lstm_step_backward(dh_t, dC_t, cache):
        dx_t, dh_prev, dC_prev, grads = REFERENCE.lstm_step_backward(dh_t, dC_t, cache)
        return dx_t, dh_prev, 0 * dC_prev, grads
    namespace = {"np": __import__("numpy"), "lstm_step_backward": lstm_step_backward,
                 "lstm_step_forward": lstm_step_forward}
    exec(textwrap.dedent('''
        def lstm_backward(dhs, cache):
            T, N, D = cache["xs_shape"]
            dxs, dh, dC = np.zeros((T, N, D)), np.zeros_like(dhs[0]), np.zeros_like(dhs[0])
            grads = {k: np.zeros_like(v) for k, v in cache["params"].items()}
            for t in reversed(range(T)):
                dxs[t], dh, dC, g = lstm_step_backward(dhs[t] + dh, dC, cache["steps"][t])
                for k in grads:
                    grads[k] += g[k]
            return dxs, dh, dC, grads
    '''), namespace)
    failure("lstm_step_backward", lstm_step_backward, lstm_step_forward, sizes=[STEP])
    message = failure("lstm_backward", namespace["lstm_backward"], lstm_forward, sizes=[SEQUENCE])
    assert message.startswith("lstm_backward calls your lstm_step_backward, which is wrong")
    namespace["lstm_step_backward"] = REFERENCE.lstm_step_backward  # fixed: the loop is right as it is
    check("lstm_backward", namespace["lstm_backward"], lstm_forward, seed=0, sizes=[SEQUENCE])


def test_summary_reports_what_this_kernel_checked(capsys):
    check("lstm_step_backward", REFERENCE.lstm_step_backward, lstm_step_forward, seed=0, sizes=[STEP])
    failure("lstm_backward", lambda dhs, cache: (0, 0, 0, {}), lstm_forward, sizes=[SEQUENCE])
    capsys.readouterr()
    assert summary("lstm_step_backward", "lstm_backward", "stacked_lstm_forward") is None
    text = capsys.readouterr().out
    assert "1 of 3 functions pass" in text
    assert "✓  lstm_step_backward: passes" in text and "✗  lstm_backward: fails" in text
    assert "?  stacked_lstm_forward: not checked yet" in text


def test_a_failing_check_shows_its_message_and_no_traceback_into_rnncheck():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(textwrap.dedent('''
        from rnncheck import check
        def softmax(x):
            return x
        check("softmax", softmax, seed=0, sizes=[{"N": 2, "K": 5}])
    '''))])
    NotebookClient(nb, timeout=120, allow_errors=True).execute()
    [error] = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    shown = "\n".join(error.traceback)
    assert error.ename == "CheckFailed" and "softmax" in error.evalue
    assert "rnncheck" not in shown and "File " not in shown and "Traceback" not in shown


STACK = {"T": 3, "N": 2, "D": 3, "H": 4, "L": 2}  # the first visible case of ex05's checks


def stacked_forward(xs, h0, C0, layers):
    h_n, C_n, caches, inputs = np.empty_like(h0), np.empty_like(C0), [], xs
    for l, params in enumerate(layers):
        inputs, Cs, layer_cache = lstm_forward(inputs, h0[l], C0[l], params)
        h_n[l], C_n[l] = inputs[-1], Cs[-1]
        caches.append(layer_cache)
    return inputs, h_n, C_n, {"layers": caches}


def stacked_backward(dhs, cache):
    L, grad = len(cache["layers"]), dhs
    dh0, dC0, layer_grads = np.empty((L,) + dhs.shape[1:]), np.empty((L,) + dhs.shape[1:]), [None] * L
    for l in reversed(range(L)):
        grad, dh0[l], dC0[l], layer_grads[l] = REFERENCE.lstm_backward(grad, cache["layers"][l])
    return grad, dh0, dC0, layer_grads


def test_the_stacked_backward_lists_its_differences_layer_by_layer_from_the_top():
    def lower_layer_doubled(dhs, cache):
        dxs, dh0, dC0, layer_grads = stacked_backward(dhs, cache)
        return 2 * dxs, dh0, dC0, [{k: 2 * v for k, v in layer_grads[0].items()}, layer_grads[1]]
    check("stacked_lstm_backward", stacked_backward, stacked_forward, seed=0, sizes=[STACK])  # the reference passes
    lines = failure("stacked_lstm_backward", lower_layer_doubled, stacked_forward, sizes=[STACK]).splitlines()
    assert "in the order the backward pass computes them" in lines[0]
    listed = [line.split(",")[0].strip() for line in lines[1:-1]]
    assert listed == [f"layer0_d{w}_{g}" for g in "fiCo" for w in "Wb"] + ["dxs"]
    assert "from lstm_backward of layer 0, given dhs if it is the top layer, else the dxs of layer 1" in lines[1]
    assert lines[-1].strip().startswith("correct: layer1_dW_f, layer1_db_f") and lines[-1].endswith("dh0, dC0")


def test_a_result_of_another_dtype_is_named():
    sizes = [SEQUENCE, {**SEQUENCE, "T": 2, "dtype": "float32"}]  # as in the visible check of ex04

    def float64_dxs(dhs, cache):
        dxs, dh0, dC0, grads = REFERENCE.lstm_backward(dhs, cache)
        return dxs.astype(np.float64), dh0, dC0, grads

    def float64_grads(dhs, cache):
        dxs, dh0, dC0, grads = REFERENCE.lstm_backward(dhs, cache)
        return dxs, dh0, dC0, {k: v.astype(np.float64) for k, v in grads.items()}

    check("lstm_backward", REFERENCE.lstm_backward, lstm_forward, seed=0, sizes=sizes)
    named = failure("lstm_backward", float64_dxs, lstm_forward, sizes=sizes)
    assert named.startswith("case 1 ") and "np.zeros((T, N, D), dtype=dhs.dtype)" in named  # its catalogued mistake
    unnamed = failure("lstm_backward", float64_grads, lstm_forward, sizes=sizes)
    assert "dW_f, db_f, dW_i, db_i, dW_C, db_C, dW_o, db_o are float64, expected float32" in unnamed
    assert "its inputs are float32" in unnamed
    assert "dxs is" not in unnamed


def test_an_input_changed_in_place_is_named():
    def changes_dh_t(dh_t, dC_t, cache):
        out = REFERENCE.lstm_step_backward(dh_t, dC_t, cache)
        dh_t *= 2
        return out
    message = failure("lstm_step_backward", changes_dh_t, lstm_step_forward, sizes=[STEP])
    assert "the dh_t it was given has changed" in message and "must leave its inputs as they were" in message
    assert "correct: dC_prev, dW_f" in message


def test_a_cache_that_is_not_the_promised_dict_is_named():
    from rnncheck.given.ex01 import rnn_step_forward

    def tuple_cache(x_t, s_prev, params):
        s_t, cache = rnn_step_forward(x_t, s_prev, params)
        return s_t, tuple(cache.values())
    message = failure("rnn_step_forward", tuple_cache, sizes=[{"N": 2, "D": 3, "H": 4}])
    assert "returned as its cache a tuple: it must be a dict with the keys x_t, s_prev, s_t, params" in message
