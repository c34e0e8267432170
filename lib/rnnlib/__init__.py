"""rnnlib: recurrent networks in numpy, from the plain RNN through every LSTM gate to a stacked LSTM.

Modules, one concept each:
    activations  sigmoid, tanh, softmax
    rnn          s_t = tanh(U x_t + W s_{t-1} + b), forward and backward
    lstm         each gate as its own function; the LSTM step and sequence (the readable reference)
    fused        the same LSTM layer, fast: one product for four gates
    stacked      L LSTM layers on top of each other
    output       o_t = softmax(V s_t + c) and the cross-entropy over a sequence
    gradcheck    numerical gradients and the relative error
    init, optim  initialisation from an explicit Generator; SGD, Adam, clipping by global norm
    interop      conversion to and from torch.nn.RNN / torch.nn.LSTM
    text, charmodel, charlm  the character-level language model: vocabulary and batches; the model; its
                 training and sampling (imported by name)
    memory       keep freed memory for the next training step
"""

from . import activations, fused, gradcheck, init, lstm, memory, optim, output, rnn, stacked

__all__ = ["activations", "fused", "gradcheck", "init", "lstm", "memory", "optim", "output", "rnn", "stacked"]
