"""Figures for the character-level language model chapter: text coloured by a cell's activation, gate heatmaps."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize
from matplotlib.patches import Rectangle


def plot_text_activation(text, values, *, width=64, cmap="RdBu_r", vmax=None, title=None, label="activation"):
    """Draw `text` in a monospace grid, each character on a background coloured by its value in `values`.

    Lines break at newlines (drawn as a small "↵" so that their value shows too) and after `width` characters.
    The colour scale is symmetric around zero, from -vmax to vmax (default: the largest |value|).
    """
    values = np.asarray(values, dtype=float)
    if len(values) != len(text):
        raise ValueError(f"{len(text)} characters but {len(values)} values")
    vmax = float(np.max(np.abs(values))) if vmax is None else vmax
    norm, colours = Normalize(-vmax, vmax), plt.get_cmap(cmap)
    cells, row, col = [], 0, 0
    for ch, v in zip(text, values, strict=True):
        if col == width:
            row, col = row + 1, 0
        cells.append((row, col, "↵" if ch == "\n" else ch, v))
        col += 1
        if ch == "\n":
            row, col = row + 1, 0
    rows = row + 1
    fig, ax = plt.subplots(figsize=(0.145 * width + 1.2, 0.3 * rows + 0.8))
    for r, c, ch, v in cells:
        ax.add_patch(Rectangle((c, -r - 1), 1, 1, color=colours(norm(v)), linewidth=0))
        ax.text(c + 0.5, -r - 0.5, ch, ha="center", va="center", family="monospace", fontsize=9,
                color="0.55" if ch == "↵" else "black")
    ax.set_xlim(0, width)
    ax.set_ylim(-rows, 0)
    ax.set_axis_off()
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=colours)
    fig.colorbar(mappable, ax=ax, fraction=0.025, pad=0.01, label=label)
    if title:
        ax.set_title(title, fontsize=11, loc="left")
    return fig


def plot_gate_heatmaps(text, panels, *, units):
    """One heatmap per (name, values, vmin, vmax, cmap) panel, values (characters, units); x ticks: the characters."""
    fig, axes = plt.subplots(len(panels), 1, figsize=(11, 2.0 * len(panels) + 0.6), sharex=True)
    for ax, (name, values, vmin, vmax, cmap) in zip(axes, panels, strict=True):
        im = ax.imshow(values.T, aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_ylabel(f"{name}\nunit")
        ticks = range(0, len(units), 4)
        ax.set_yticks(ticks, [str(units[k]) for k in ticks], fontsize=8)
        fig.colorbar(im, ax=ax, fraction=0.02, pad=0.01)
    shown = ["↵" if ch == "\n" else ("␣" if ch == " " else ch) for ch in text]
    axes[-1].set_xticks(range(len(text)), shown, fontsize=7, family="monospace")
    axes[-1].set_xlabel("character of the passage (↵ newline, ␣ space)")
    fig.tight_layout()
    return fig
