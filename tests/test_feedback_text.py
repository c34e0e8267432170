"""What a student reads when a visible check fails: the named mistake, the arrays in the order of the
backward flow with their equations, the keys of a wrong dict, a wrong step blamed before its loop, a
message without a traceback into rnncheck, and the summary of the kernel's checks."""

import textwrap

import nbformat
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
