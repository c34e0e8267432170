"""Plots for the chapters on the plain RNN: next-word probability tables and truncated BPTT.

Every function returns the ``matplotlib.figure.Figure`` it drew (pass ``ax`` to draw into an existing
axes instead). Nothing here is random: the same arguments give the same picture.
"""

import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.pyplot import subplots

from rnnbook.diagrams import PALETTE


def plot_next_word_probs(probs, inputs, vocab, targets=None, ax=None, title=None):
    """A heatmap of the output o_t at every step: one row per step, one column per word.

    probs: (T, K) probabilities (each row sums to 1); inputs: the T input words x_1 .. x_T (row labels);
    vocab: the K words of the vocabulary (column labels); targets: the T words that really come next,
    outlined in red. The colour scale is fixed to [0, 1] so that two tables can be compared by eye.
    """
    probs = np.asarray(probs)
    T, K = probs.shape
    if len(inputs) != T or len(vocab) != K:
        raise ValueError(f"probs has shape {probs.shape}, expected (len(inputs), len(vocab)) = "
                         f"({len(inputs)}, {len(vocab)})")
    if ax is None:
        fig, ax = subplots(figsize=(0.6 * K + 2.2, 0.5 * T + 1.6))
    image = ax.imshow(probs, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    for t in range(T):
        for k in range(K):
            p = probs[t, k]
            ax.text(k, t, f"{p:.2f}", ha="center", va="center", fontsize=11,
                    color="white" if p > 0.55 else PALETTE["line"])
    if targets is not None:
        if len(targets) != T:
            raise ValueError(f"targets has {len(targets)} words, expected T = {T}")
        for t, word in enumerate(targets):
            k = list(vocab).index(word)
            ax.add_patch(Rectangle((k - 0.5, t - 0.5), 1, 1, fill=False, edgecolor=PALETTE["output"], lw=2.4))
    ax.set_xticks(range(K), [f"{w}" for w in vocab], fontsize=11)
    ax.set_yticks(range(T), [f"$t={t + 1}$:  {w}" for t, w in enumerate(inputs)], fontsize=11)
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    ax.set_xlabel("candidate next word (the vocabulary)", fontsize=11, labelpad=8)
    ax.set_ylabel("step $t$ and input word $x_t$", fontsize=11)
    ax.tick_params(length=0)
    colorbar = ax.figure.colorbar(image, ax=ax, fraction=0.05, pad=0.03)
    colorbar.set_label("probability $o_t$ gives the word", fontsize=11)
    if title:
        ax.set_title(title, fontsize=12, pad=10, loc="left")
    ax.figure.tight_layout()
    return ax.figure


def draw_truncated_bptt(T=9, k=3, ax=None):
    """Full backpropagation through time (top) against truncated BPTT with windows of k steps (bottom).

    Each row is one sequence of T states. Blue arrows are the forward pass (the state s_t carried from step
    to step), red arrows the gradient flowing backwards. In the truncated row the forward arrows cross the
    window boundaries (the state is carried) but the gradient stops at them.
    """
    if not (isinstance(T, int | np.integer) and isinstance(k, int | np.integer) and 1 <= k <= T <= 24):
        raise ValueError(f"need integers 1 <= k <= T <= 24, got T={T!r}, k={k!r}")
    created = ax is None
    if created:
        fig, ax = subplots(figsize=(0.85 * T + 1.2, 5.0))
    c = PALETTE
    dx, r = 1.0, 0.26
    rows = {"full": 2.6, "trunc": 0.0}
    titles = {"full": "full BPTT: one backward pass through all $T$ steps",
              "trunc": f"truncated BPTT: windows of $k = {k}$ steps"}

    def arrow(x_from, x_to, y, color):
        ax.add_patch(FancyArrowPatch((x_from, y), (x_to, y), arrowstyle="-|>", mutation_scale=12, color=color,
                                     lw=1.5, shrinkA=0, shrinkB=0, zorder=2))

    for name, y in rows.items():
        xs = [t * dx for t in range(T)]
        y_back = y - 0.5  # the lane of the backward arrows
        ax.text(-0.6, y + 1.12, titles[name], fontsize=15, ha="left", va="center")
        if name == "trunc":  # shade the windows
            for start in range(0, T, k):
                stop = min(start + k, T) - 1
                ax.add_patch(FancyBboxPatch((xs[start] - 0.42, y - 0.78), xs[stop] - xs[start] + 0.84, 1.6,
                                            boxstyle="round,pad=0,rounding_size=0.15", facecolor="#eef3fa",
                                            edgecolor="#9ab3d5", lw=1.0, zorder=0))
        for t, x in enumerate(xs):
            ax.add_patch(FancyBboxPatch((x - r, y - r), 2 * r, 2 * r, boxstyle="round,pad=0,rounding_size=0.08",
                                        facecolor="white", edgecolor=c["state"], lw=1.6, zorder=3))
            ax.text(x, y, f"$s_{{{t + 1}}}$", ha="center", va="center", fontsize=15, zorder=4)
            # the loss of every step sends its gradient into s_t
            ax.text(x, y + 0.68, f"$L_{{{t + 1}}}$", ha="center", va="center", fontsize=14, color=c["output"])
            ax.add_patch(FancyArrowPatch((x, y + 0.52), (x, y + r), arrowstyle="-|>", mutation_scale=9,
                                         color=c["output"], lw=1.1, shrinkA=0, shrinkB=0, zorder=2))
        for t in range(T - 1):  # forward: the state is always carried
            arrow(xs[t] + r, xs[t + 1] - r, y, c["state"])
        for t in range(T - 1, 0, -1):  # backward, from s_t to s_{t-1}, below the row
            if name == "trunc" and t % k == 0:  # a window boundary: the gradient is not passed on
                ax.text((xs[t] + xs[t - 1]) / 2, y_back, "×", ha="center", va="center", fontsize=16,
                        color=c["output"], fontweight="bold")
            else:
                arrow(xs[t] - 0.12, xs[t - 1] + 0.12, y_back, c["output"])
    # legend, drawn by hand under the rows, in two lines: its text is as large as the labels' (14 pt)
    y_leg = -1.3
    arrow(-0.3, 0.5, y_leg, c["state"])
    ax.text(0.62, y_leg, "forward: state carried", fontsize=14, va="center")
    arrow(0.5, -0.3, y_leg - 0.55, c["output"])
    ax.text(0.62, y_leg - 0.55, "backward: gradient", fontsize=14, va="center")
    ax.text(4.3, y_leg - 0.55, "×", fontsize=16, va="center", ha="center", color=c["output"], fontweight="bold")
    ax.text(4.55, y_leg - 0.55, "gradient stopped", fontsize=14, va="center")
    ax.set_xlim(-0.7, (T - 1) * dx + 0.7)
    ax.set_ylim(y_leg - 0.95, rows["full"] + 1.35)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if created:
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.99)
    return ax.figure
