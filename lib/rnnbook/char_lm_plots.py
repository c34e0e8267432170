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
    fig, ax = plt.subplots(figsize=(0.13 * width + 0.3, 0.27 * rows + 1.2))
    for r, c, ch, v in cells:
        ax.add_patch(Rectangle((c, -r - 1), 1, 1, color=colours(norm(v)), linewidth=0))
        ax.text(c + 0.5, -r - 0.5, ch, ha="center", va="center", family="monospace", fontsize=11,
                color="0.55" if ch == "↵" else "black")
    ax.set_xlim(0, width)
    ax.set_ylim(-rows, 0)
    ax.set_axis_off()
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=colours)
    bar = fig.colorbar(mappable, ax=ax, orientation="horizontal", fraction=0.04, pad=0.02, aspect=40)
    bar.set_label(label, fontsize=11)
    if title:
        ax.set_title(title, fontsize=12, loc="left")
    return fig


def plot_gate_heatmaps(text, panels, *, units, per_row=37):
    """One heatmap per (name, values, vmin, vmax, cmap[, linthresh]) panel, values (characters, units).

    The passage is cut into blocks of `per_row` characters, one block under the other, so that the
    characters under the columns stay large enough to read; each block shows every panel. A panel with a
    `linthresh` uses a symmetric logarithmic colour scale, linear within ±linthresh. Panels that share a
    colour scale share one colour bar, under the last block.
    """
    import matplotlib.gridspec as gridspec
    from matplotlib.colors import SymLogNorm

    n_blocks = -(-len(text) // per_row)
    scales = []  # (vmin, vmax, cmap, linthresh), in order of first use
    for panel in panels:
        key = (*panel[2:5], panel[5] if len(panel) > 5 else None)
        if key not in scales:
            scales.append(key)
    strip, gap = 0.72, 0.62  # inches: one heatmap, the space for a block's characters and the next block
    bar, below = 0.14, 0.62  # a colour bar, the space for its ticks and label
    sep = 0.07  # between two heatmaps of a block
    block_rows = [h for _ in panels for h in (strip, sep)][:-1] + [gap]  # 2 * len(panels) rows
    heights = block_rows * n_blocks + [bar, below] * len(scales)
    fig = plt.figure(figsize=(6.4, sum(heights)))
    grid = gridspec.GridSpec(len(heights), 1, figure=fig, height_ratios=heights, hspace=0.0)
    images = {}
    for b in range(n_blocks):
        span = slice(b * per_row, min((b + 1) * per_row, len(text)))
        chars = text[span]
        for k, (name, values, vmin, vmax, cmap, *rest) in enumerate(panels):
            ax = fig.add_subplot(grid[b * len(block_rows) + 2 * k])
            linthresh = rest[0] if rest else None
            norm = (SymLogNorm(linthresh=linthresh, vmin=vmin, vmax=vmax) if linthresh
                    else Normalize(vmin, vmax))
            block = np.full((len(units), per_row), np.nan)  # (units, characters): the last block may be short
            block[:, :len(chars)] = values[span].T
            images[(vmin, vmax, cmap, linthresh)] = ax.imshow(block, aspect="auto", cmap=cmap, norm=norm,
                                                                interpolation="nearest")
            ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=13)
            ticks = range(0, len(units), 8)
            ax.set_yticks(ticks, [str(units[t]) for t in ticks], fontsize=11)
            ax.set_xticks([])
            ax.tick_params(axis="y", length=2, pad=1)
        shown = ["↵" if ch == "\n" else ("␣" if ch == " " else ch) for ch in chars]
        ax.set_xticks(range(len(chars)), shown, fontsize=11, family="monospace")
        ax.tick_params(axis="x", length=0, pad=2)
        ax.text(1.0, -0.62 if b == n_blocks - 1 else -0.5, f"characters {span.start + 1}–{span.stop}",
                transform=ax.transAxes, ha="right", va="top", fontsize=11, color="0.35")
    for j, key in enumerate(scales):
        cax = fig.add_subplot(grid[len(heights) - 2 * (len(scales) - j)])
        names = ", ".join(p[0] for p in panels if (*p[2:5], p[5] if len(p) > 5 else None) == key)
        vmin, vmax, _, linthresh = key
        ticks = None
        if linthresh:
            ticks = [v for v in (-10, -1, 0, 1, 10) if vmin <= v <= vmax]
        bar = fig.colorbar(images[key], cax=cax, orientation="horizontal", ticks=ticks, format="%g")
        bar.set_label(names + (f" (logarithmic beyond ±{linthresh:g})" if linthresh else ""), fontsize=11)
        bar.ax.tick_params(labelsize=11)
    fig.text(0.5, 0.0, "units on the vertical axis; ↵ newline, ␣ space", ha="center", va="bottom", fontsize=11,
             color="0.35")
    fig.subplots_adjust(left=0.1, right=0.98, top=0.995, bottom=0.02)
    return fig
