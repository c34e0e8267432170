"""The grader's own parts: its references, how it reads test cells, and how it judges published results."""

import types

import numpy as np
import pytest
from nbformat.v4 import new_output

from rnncheck.cases import CASES
from rnncheck.check import MIME, encode, run_case
from rnngrade.reference import REFERENCE
from rnngrade.verify import Call, required_checks, verify_call, verify_cell
from rnnlib import init, stacked


def test_every_case_has_a_reference():
    for case in CASES.values():
        for fn in case.needs:
            assert callable(getattr(REFERENCE, fn, None)), f"no reference for {fn}"


@pytest.mark.parametrize("L", [1, 3])
def test_layer_by_layer_reference_equals_rnnlib_stacked(rng, L):
    T, N, D, H = 4, 2, 3, 5
    layers = [{k: rng.standard_normal(v.shape) for k, v in p.items()}  # every weight and bias non-zero
              for p in init.stacked_lstm_params(D, H, L, rng)]
    xs, h0, C0 = rng.standard_normal((T, N, D)), rng.standard_normal((L, N, H)), rng.standard_normal((L, N, H))
    dhs = rng.standard_normal((T, N, H))
    ours = REFERENCE.stacked_lstm_forward(xs, h0, C0, layers)
    lib = stacked.stacked_lstm_forward(xs, h0, C0, layers)
    for a, b in zip(ours[:3], lib[:3], strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    ours_b = REFERENCE.stacked_lstm_backward(dhs, ours[3])
    lib_b = stacked.stacked_lstm_backward(dhs, lib[3])
    for a, b in zip(ours_b[:3], lib_b[:3], strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    for ga, gb in zip(ours_b[3], lib_b[3], strict=True):
        for k in ga:
            np.testing.assert_allclose(ga[k], gb[k], rtol=0, atol=1e-12)


def test_required_checks_are_read_from_source_not_run():
    source = ('import os; os._exit(1)\ncheck("forget_gate", forget_gate, seed=3, sizes=[{"N": 1, "D": 2, "H": 3}])\n'
              'with substitute(globals(), f=g):\n    check("hidden_state", hs, seed=4, sizes=[{"N": 2, "H": 2}])\n')
    calls = required_checks(source)
    assert [c.name for c in calls] == ["forget_gate", "hidden_state"]
    assert calls[0].seed == 3 and calls[0].size_dicts() == [{"N": 1, "D": 2, "H": 3}]


def payload_from(name, fns, seed, sizes):
    outputs = [encode(run_case(CASES[name].make, fns, seed, k, s)) for k, s in enumerate(sizes)]
    return {"check": name, "seed": seed, "outputs": outputs}


SIZES = [{"N": 2, "D": 3, "H": 4}, {"N": 1, "D": 1, "H": 2}]
CALL = Call("forget_gate", 5, tuple(tuple(sorted(s.items())) for s in SIZES))


def test_correct_results_pass_and_wrong_ones_fail_with_a_hint():
    assert verify_call(CALL, [payload_from("forget_gate", REFERENCE, 5, SIZES)]) is None

    def tanh_gate(h, x, W, b):
        return np.tanh(np.concatenate([h, x], axis=1) @ W.T + b)

    wrong = types.SimpleNamespace(forget_gate=tanh_gate)
    message = verify_call(CALL, [payload_from("forget_gate", wrong, 5, SIZES)])
    assert "did you apply the sigmoid" in message


def test_results_for_other_inputs_do_not_count():
    other_seed = payload_from("forget_gate", REFERENCE, 6, SIZES)
    other_seed["seed"] = 5  # claims the right seed, but holds results for other inputs
    assert verify_call(CALL, [other_seed]) is not None
    assert "did not run" in verify_call(CALL, [])


def test_a_cell_fails_when_its_check_published_nothing_whatever_else_it_printed():
    source = 'check("forget_gate", forget_gate, seed=5, sizes=[{"N": 2, "D": 3, "H": 4}, {"N": 1, "D": 1, "H": 2}])'
    outputs = [new_output("stream", name="stdout", text="forget_gate: 2 of 2 cases correct\n")]
    _, failures = verify_cell(source, outputs)
    assert failures
    good = [new_output("display_data", data={MIME: payload_from("forget_gate", REFERENCE, 5, SIZES)})]
    assert verify_cell(source, good)[1] == []


def test_autograde_kernels_run_in_the_sandbox_unless_turned_off():
    from traitlets.config import Config

    from rnngrade.execute import SandboxedExecute
    from rnngrade.sandbox import SandboxKernelManager

    assert SandboxedExecute().kernel_manager_class is SandboxKernelManager
    off = Config()
    off.SandboxedExecute.sandbox = False
    assert SandboxedExecute(config=off).kernel_manager_class is not SandboxKernelManager
