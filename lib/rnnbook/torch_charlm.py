"""The character-level language model of `rnnlib.charlm`, written in torch, for side-by-side comparisons.

The same network: one-hot input -> torch.nn.LSTM(K, H, num_layers=L) -> a Linear output layer (V, c), trained
the same way (Adam, clipping by global norm, windows of `rnnlib.text.tbptt_batches`, state carried from one
window to the next). `TorchCharLM.from_model(model)` copies the weights of an rnnlib model, so both start from
the same point. torch has two biases per LSTM layer, b_ih and b_hh, where rnnlib has one: b_hh is held at zero
and frozen, so that b_ih plays the part of rnnlib's b and the two optimisers see the same parameters.
"""

import time

import torch
import torch.nn.functional as F

from rnnlib import interop, text


class TorchCharLM(torch.nn.Module):
    """logits_t = V h_t + c, with h_t the top hidden state of an L-layer LSTM reading one-hot characters."""

    def __init__(self, lstm, out):
        super().__init__()
        self.lstm, self.out = lstm, out
        for l in range(lstm.num_layers):  # rnnlib's single bias b lives in bias_ih; bias_hh stays zero
            getattr(lstm, f"bias_hh_l{l}").requires_grad_(False)

    @classmethod
    def from_model(cls, model):
        """A copy of an rnnlib.charlm model {"layers", "V", "c"}, in the model's dtype."""
        lstm = interop.lstm_to_torch(model["layers"])
        K, H = model["V"].shape
        out = torch.nn.Linear(H, K, dtype=lstm.weight_ih_l0.dtype)
        with torch.no_grad():
            out.weight.copy_(torch.from_numpy(model["V"]))
            out.bias.copy_(torch.from_numpy(model["c"]))
        return cls(lstm, out)

    def forward(self, xs, state=None):
        """xs: (T, N) character ids -> logits (T, N, K) and the final state (h_n, C_n), each (L, N, H)."""
        x = F.one_hot(xs, self.out.out_features).to(self.out.weight.dtype)
        hs, state = self.lstm(x, state)
        return self.out(hs), state

    def loss(self, xs, ys, state=None):
        """Mean cross-entropy per character (nats) over the window, and the final state."""
        logits, state = self(xs, state)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ys.reshape(-1)), state


def _windows(ids, N, T):
    """tbptt_batches as tensors."""
    for xs, ys in text.tbptt_batches(ids, N, T):
        yield torch.from_numpy(xs), torch.from_numpy(ys)


@torch.no_grad()
def evaluate_torch(torch_model, ids, N=16, T=100):
    """Mean loss per character over tbptt_batches(ids, N, T), the state carried from window to window.

    As in rnnlib.charlm.evaluate, a text too short for N streams of T steps is read in fewer, shorter streams.
    """
    N = max(1, min(N, (len(ids) - 1) // T))
    T = min(T, (len(ids) - 1) // N)
    total, count, state = 0.0, 0, None
    for xs, ys in _windows(ids, N, T):
        loss, state = torch_model.loss(xs, ys, state)
        total, count = total + loss.item() * ys.numel(), count + ys.numel()
    return total / count


def train_torch(torch_model, train_ids, val_ids=None, *, steps, N=32, T=64, lr=2e-3, clip=5.0, eval_every=100,
                progress=True):
    """Train like rnnlib.charlm.train (Adam, clipping by global norm, state carried); returns the same history."""
    params = [p for p in torch_model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=lr)
    history = {"step": [], "train_loss": [], "val_step": [], "val_loss": []}
    batches, state = _windows(train_ids, N, T), None
    seconds = 0.0
    for step in range(1, steps + 1):
        start = time.perf_counter()
        try:
            xs, ys = next(batches)
        except StopIteration:  # the text is used up: start it over, from a zero state
            batches, state = _windows(train_ids, N, T), None
            xs, ys = next(batches)
        optimizer.zero_grad(set_to_none=True)
        loss, state = torch_model.loss(xs, ys, state)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, clip)
        optimizer.step()
        state = tuple(s.detach() for s in state)  # carry the state, not the gradient
        seconds += time.perf_counter() - start
        history["step"].append(step)
        history["train_loss"].append(loss.item())
        if val_ids is not None and (step % eval_every == 0 or step == steps):
            history["val_step"].append(step)
            history["val_loss"].append(evaluate_torch(torch_model, val_ids))
        if progress and (step % max(1, steps // 100) == 0 or step == steps):
            val = f"  val {history['val_loss'][-1]:.3f}" if history["val_loss"] else ""
            print(f"\rstep {step}/{steps}  loss {loss.item():.3f}{val}", end="" if step < steps else "\n", flush=True)
    history["seconds"] = seconds
    history["chars_per_second"] = steps * N * T / seconds if seconds else 0.0
    return history
