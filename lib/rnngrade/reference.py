"""The reference implementation of every function an exercise asks for, by the exercise's name."""

import types

from rnnlib import activations, gradcheck, interop, lstm, optim, output, rnn, stacked

REFERENCE = types.SimpleNamespace(
    softmax=activations.softmax,
    rnn_step_forward=rnn.rnn_step_forward,
    rnn_forward=rnn.rnn_forward,
    softmax_output=output.softmax_output,
    rnn_step_backward=rnn.rnn_step_backward,
    rnn_backward=rnn.rnn_backward,
    numerical_gradient=gradcheck.numerical_gradient,
    clip_by_global_norm=optim.clip_by_global_norm,
    forget_gate=lstm.forget_gate,
    input_gate=lstm.input_gate,
    candidate_cell=lstm.candidate_cell,
    cell_update=lstm.cell_update,
    output_gate=lstm.output_gate,
    hidden_state=lstm.hidden_state,
    lstm_step_forward=lstm.lstm_step_forward,
    lstm_step_backward=lstm.lstm_step_backward,
    lstm_forward=lstm.lstm_forward,
    lstm_backward=lstm.lstm_backward,
    stacked_lstm_forward=stacked.stacked_lstm_forward,
    stacked_lstm_backward=stacked.stacked_lstm_backward,
    lstm_from_torch=interop.lstm_from_torch,
)
