"""The memory task of the chapter "A task that needs memory": "remember the first symbol".

Each sequence has T symbols drawn uniformly from an alphabet of K, fed one-hot as xs (T, n, K). The target
is the first symbol, asked for only at the last step: an output layer o = softmax(V h_T + c) reads the last
hidden state, and the loss is the cross-entropy of o against the first symbol. The chapter trains its
models with this module, and tools/train_memory_task.py trains with it the LSTM the course ships
(data/memory_task_lstm.npz in this package), so both run the same code with the same settings.

A model is a list [params, head] for the plain RNN and [layers, head] for the LSTM (layers: a list with
one LSTM params dict); head holds V (K, H) and c (K,).
"""

import numpy as np

from rnnlib import init, optim, output, rnn, stacked

K, T, H = 8, 30, 32  # alphabet size (input size D = K), sequence length, hidden size
N, STEPS = 32, 500  # batch size, training steps
LR, MAX_NORM = 5e-3, 1.0  # Adam's learning rate, clipping threshold for the global norm
EVAL_EVERY = 20  # steps between two measurements of the test accuracy
TEST_SEED, N_TEST = 1234, 512  # the held-out test set, the same for every model and seed


def make_batch(rng, n, T=T, K=K):
    """n sequences of T random symbols: one-hot xs (T, n, K) and the first symbols ys (n,)."""
    symbols = rng.integers(0, K, size=(T, n))  # (T, n)
    return np.eye(K)[symbols], symbols[0]


def test_set(T=T):
    """The held-out sequences every model is measured on: xs (T, N_TEST, K), ys (N_TEST,)."""
    return make_batch(np.random.default_rng(TEST_SEED), N_TEST, T=T)


def last_step_loss(h_T, head, ys):
    """Cross-entropy of softmax(V h_T + c) against ys, accuracy, dL/dh_T, head gradients.

    h_T: (n, H); ys: (n,). The loss is averaged over the batch; dL/dh_T is (n, H).
    """
    logits, out_cache = output.output_forward(h_T[None], head["V"], head["c"])  # (1, n, K)
    loss, dlogits = output.softmax_cross_entropy(logits, ys[None])
    dh, head_grads = output.output_backward(dlogits, out_cache)
    accuracy = np.mean(logits[0].argmax(axis=1) == ys)
    return loss, accuracy, dh[0], head_grads


def rnn_loss_and_grads(model, xs, ys, need_grads=True):
    """Loss, accuracy and gradients [grads, head_grads] of a plain RNN model [params, head].

    xs: (T, n, K); ys: (n,). need_grads=False skips the backward pass (the gradients are None).
    """
    params, head = model
    s0 = np.zeros((xs.shape[1], params["W"].shape[0]))  # s_0 = 0, (n, H)
    ss, cache = rnn.rnn_forward(xs, s0, params)
    loss, accuracy, ds_T, head_grads = last_step_loss(ss[-1], head, ys)
    if not need_grads:
        return loss, accuracy, None
    dss = np.zeros_like(ss)
    dss[-1] = ds_T  # only the last state is read by the loss
    _, _, grads = rnn.rnn_backward(dss, cache)
    return loss, accuracy, [grads, head_grads]


def lstm_loss_and_grads(model, xs, ys, need_grads=True):
    """Loss, accuracy and gradients [layer_grads, head_grads] of an LSTM model [layers, head].

    xs: (T, n, K); ys: (n,). need_grads=False skips the backward pass (the gradients are None).
    """
    layers, head = model  # layers: a list with one LSTM params dict (L = 1)
    zeros = np.zeros((1, xs.shape[1], layers[0]["b_f"].shape[0]))  # h0 = C0 = 0, shape (L, n, H)
    hs, _, _, cache = stacked.stacked_lstm_forward(xs, zeros, zeros, layers)
    loss, accuracy, dh_T, head_grads = last_step_loss(hs[-1], head, ys)
    if not need_grads:
        return loss, accuracy, None
    dhs = np.zeros_like(hs)
    dhs[-1] = dh_T
    _, _, _, layer_grads = stacked.stacked_lstm_backward(dhs, cache, need_dxs=False)
    return loss, accuracy, [layer_grads, head_grads]


def new_model(forget_bias, rng):
    """A freshly initialised model and its loss function: a plain RNN if forget_bias is None, else an
    LSTM whose b_f starts at forget_bias plus the usual random bias."""
    if forget_bias is None:
        return [init.rnn_params(K, H, rng), init.output_params(H, K, rng)], rnn_loss_and_grads
    layers = [init.lstm_params(K, H, rng, forget_bias=forget_bias)]
    return [layers, init.output_params(H, K, rng)], lstm_loss_and_grads


def train(model, loss_and_grads, data_rng, test, steps=STEPS, T=T):
    """steps steps of Adam with clipping, on batches of N fresh sequences of length T drawn from
    data_rng (test should then hold sequences of the same length, test_set(T)).

    Updates model in place. Returns the history: every step's training loss, and the accuracy on the
    test set (xs, ys) after the first step and every EVAL_EVERY steps.
    """
    xs_test, ys_test = test
    opt = optim.Adam(LR)
    history = {"loss": [], "test_step": [], "test_acc": []}
    for step in range(steps):
        xs, ys = make_batch(data_rng, N, T=T)
        loss, _, grads = loss_and_grads(model, xs, ys)
        grads, _ = optim.clip_by_global_norm(grads, MAX_NORM)
        opt.step(model, grads)
        history["loss"].append(loss)
        if step % EVAL_EVERY == EVAL_EVERY - 1 or step == 0:
            history["test_step"].append(step + 1)
            history["test_acc"].append(loss_and_grads(model, xs_test, ys_test, need_grads=False)[1])
    return history


def run(forget_bias, seed, test, steps=STEPS, T=T):
    """Train one model from one seed, for steps steps on sequences of length T (test: the
    sequences it is measured on, of the same length, e.g. test_set(T)); returns the trained model
    and its history.

    The seed draws the initial weights and, from an independent stream, the order of the training data.
    """
    init_seed, data_seed = np.random.SeedSequence(seed).spawn(2)
    model, loss_and_grads = new_model(forget_bias, np.random.default_rng(init_seed))
    history = train(model, loss_and_grads, np.random.default_rng(data_seed), test,
                    steps=steps, T=T)
    return model, history


def save_lstm(path, model, **info):
    """Write an LSTM model [layers, head] (one layer) and scalar facts about its run to an .npz file."""
    (params,), head = model
    np.savez_compressed(path, **params, **head, **{f"info_{k}": v for k, v in info.items()})


def load_lstm(path):
    """Read a file written by save_lstm: the model [layers, head] and the dict of facts about its run."""
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    params = {k: v for k, v in arrays.items() if k.startswith(("W_", "b_"))}
    head = {"V": arrays["V"], "c": arrays["c"]}
    info = {k.removeprefix("info_"): v.item() for k, v in arrays.items() if k.startswith("info_")}
    return [[params], head], info
