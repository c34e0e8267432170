"""The course's figures, drawn with matplotlib.

Each function draws one of the course's diagrams (the unrolled RNN, a gate, the LSTM cell, a stacked
network) and returns the ``matplotlib.figure.Figure``. Pass ``ax`` to draw into an existing axes
instead of a new figure.
Every drawing is deterministic: the same arguments give the same picture.

Colours are shared by all figures (see :data:`PALETTE`): inputs green, states blue, sigmoid gates orange,
the tanh candidate purple, outputs red.
"""

import numpy as np
from matplotlib.patches import Circle, Ellipse, FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.path import Path
from matplotlib.pyplot import subplots

#: Colours used by every figure of the book.
PALETTE = {
    "input": "#2e8b57",  # x_t, the input layer
    "state": "#2c6fbb",  # s_t, C_t, h_t: what the network remembers
    "gate": "#e07b24",  # sigmoid gates f_t, i_t, o_t
    "candidate": "#8e44ad",  # tanh layers: candidate C~_t, tanh(C_t)
    "output": "#c0392b",  # o_t of the RNN, the output layer
    "line": "#333333",  # plain connections and text
    "muted": "#c4c4c4",  # parts that are not highlighted
    "muted_text": "#a0a0a0",
    "cell": "#f3f4f6",  # background of the LSTM cell
}

# Text sizes, in points. A drawing is about 8.5 inches wide and is shown at the column's width: on a phone
# (a column of about 340 px) a text of size s pt in a figure w pt wide is s * 340 / w px, and 16 pt keeps
# every text of every drawing at 8 px or more; each drawing is laid out for these sizes.
FONTSIZE = 16  # node labels
SMALL = 16  # annotations, in italic or in a lighter colour where they must stand apart from the labels

LSTM_PARTS = ("forget", "input", "candidate", "cell", "output")

# The equation of each part of the LSTM cell, shown under the cell when that part is highlighted.
LSTM_EQUATIONS = {
    "forget": r"forget gate:  $f_t = \sigma(W_f\,[h_{t-1}, x_t] + b_f)$",
    "input": r"input gate:  $i_t = \sigma(W_i\,[h_{t-1}, x_t] + b_i)$",
    "candidate": r"candidate:  $\tilde{C}_t = \tanh(W_C\,[h_{t-1}, x_t] + b_C)$",
    "cell": r"cell update:  $C_t = f_t * C_{t-1} + i_t * \tilde{C}_t$",
    # two lines: at the drawings' text size the two equations are wider than the cell
    "output": r"output gate:  $o_t = \sigma(W_o\,[h_{t-1}, x_t] + b_o)$," "\n"
    r"hidden state:  $h_t = o_t * \tanh(C_t)$",
}


# ----------------------------------------------------------------------------------------------------
# drawing primitives (data coordinates, equal aspect)


def _new_axes(ax):
    """The axes to draw in (a new figure when ``ax`` is None) and whether the figure is ours to resize."""
    created = ax is None
    if created:
        fig, ax = subplots()
        fig.subplots_adjust(left=0, right=1, bottom=0, top=1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax, created


def _finish(ax, created, xlim, ylim, inches_per_unit):
    """Set the drawing's limits and, for a figure made here, a size that fits it without margins.

    One data unit is always ``inches_per_unit`` inches, the scale each drawing's text sizes were chosen
    for, so labels never outgrow their boxes: more steps or layers make a larger figure, not smaller text.
    The defaults of every drawing give a figure about 8.5 to 9 inches wide.
    """
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    if created:
        w, h = xlim[1] - xlim[0], ylim[1] - ylim[0]
        ax.figure.set_size_inches(w * inches_per_unit, h * inches_per_unit)
    return ax.figure


def _box(ax, xy, text, color, w=1.0, h=0.6, fill_alpha=0.16, fontsize=FONTSIZE, text_color=None, lw=1.8):
    """A rounded box centred on ``xy`` with a label inside."""
    x, y = xy
    face = _tint(color, fill_alpha)
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0,rounding_size=0.12",
            facecolor=face,
            edgecolor=color,
            linewidth=lw,
            zorder=3,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, color=text_color or PALETTE["line"], zorder=4)


def _op(ax, xy, symbol, color, r=0.24, text_color=None, lw=1.8):
    """A pointwise operation: a circle with a symbol (× or +)."""
    ax.add_patch(Circle(xy, r, facecolor="white", edgecolor=color, linewidth=lw, zorder=3))
    ax.text(xy[0], xy[1], symbol, ha="center", va="center", fontsize=FONTSIZE + 2, color=text_color or color, zorder=4)


def _dot(ax, xy, color, r=0.07):
    """A junction where a line is copied into two."""
    ax.add_patch(Circle(xy, r, facecolor=color, edgecolor=color, zorder=3))


def _arrow(ax, points, color, lw=1.8, head=True, zorder=2, linestyle="-"):
    """A polyline through ``points`` with an arrow head at the last point."""
    points = np.asarray(points, dtype=float)
    codes = [Path.MOVETO] + [Path.LINETO] * (len(points) - 1)
    ax.add_patch(
        FancyArrowPatch(
            path=Path(points, codes),
            arrowstyle="-|>" if head else "-",
            mutation_scale=16,
            color=color,
            linewidth=lw,
            linestyle=linestyle,
            shrinkA=0,
            shrinkB=0,
            joinstyle="miter",
            capstyle="butt",
            zorder=zorder,
        )
    )


def _tint(color, alpha):
    """``color`` mixed with white: alpha 0 is white, 1 is the colour itself."""
    from matplotlib.colors import to_rgb

    rgb = np.array(to_rgb(color))
    return tuple(1 - alpha * (1 - rgb))


# ----------------------------------------------------------------------------------------------------
# the plain RNN


def _step_labels(T):
    """Subscripts for T consecutive steps around t: T=2 gives t-1, t and T=3 gives t-1, t, t+1."""
    offsets = np.arange(T) - T // 2
    labels = []
    for k in offsets:
        labels.append("t" if k == 0 else f"t{k:+d}")
    return labels


def draw_unrolled_rnn(T=3, ax=None):
    """The RNN folded (one cell with a loop) and unrolled over ``T`` steps.

    Bottom to top: inputs :math:`x_t`, states :math:`s_t = f(U x_t + W s_{t-1})`, outputs
    :math:`o_t = \\mathrm{softmax}(V s_t)`. The same U, W and V are used at every step.
    """
    if not isinstance(T, (int, np.integer)) or not 1 <= T <= 6:
        raise ValueError(f"T must be an integer between 1 and 6, got {T!r}")
    T = int(T)
    dx = 2.15  # distance between steps
    x0 = 5.0  # first unrolled column
    ax, created = _new_axes(ax)
    rows = {"x": 0.0, "s": 1.75, "o": 3.5}
    bw, bh = 0.95, 0.6
    c = PALETTE

    def column(xc, sub):
        suffix = f"_{{{sub}}}" if sub else ""
        _box(ax, (xc, rows["x"]), f"$x{suffix}$", c["input"], w=bw, h=bh)
        _box(ax, (xc, rows["s"]), f"$s{suffix}$", c["state"], w=bw, h=bh)
        _box(ax, (xc, rows["o"]), f"$o{suffix}$", c["output"], w=bw, h=bh)
        _arrow(ax, [(xc, rows["x"] + bh / 2), (xc, rows["s"] - bh / 2)], c["line"])
        _arrow(ax, [(xc, rows["s"] + bh / 2), (xc, rows["o"] - bh / 2)], c["line"])
        ymid_u = (rows["x"] + rows["s"]) / 2
        ymid_v = (rows["s"] + rows["o"]) / 2
        ax.text(xc + 0.12, ymid_u, "$U$", ha="left", va="center", fontsize=FONTSIZE)
        ax.text(xc + 0.12, ymid_v, "$V$", ha="left", va="center", fontsize=FONTSIZE)

    # folded network, with its loop W on the right of s
    xf = 0.6
    column(xf, "")
    ys = rows["s"]
    xr = xf + bw / 2
    loop = Path(
        [(xr, ys + 0.17), (xr + 0.95, ys + 0.75), (xr + 0.95, ys - 0.75), (xr, ys - 0.17)],
        [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4],
    )
    ax.add_patch(
        FancyArrowPatch(
            path=loop,
            arrowstyle="-|>",
            mutation_scale=16,
            color=c["state"],
            linewidth=1.8,
            shrinkA=0,
            shrinkB=0,
            zorder=2,
        )
    )
    ax.text(xr + 0.8, ys, "$W$", ha="left", va="center", fontsize=FONTSIZE)

    # "unroll"
    xe = 2.85
    ax.text(xe, ys, "$=$", ha="center", va="center", fontsize=FONTSIZE + 8)
    ax.text(xe, ys - 0.5, "unroll", ha="center", va="center", fontsize=SMALL, style="italic")

    # unrolled chain
    subs = _step_labels(T)
    xs = [x0 + k * dx for k in range(T)]
    for xc, sub in zip(xs, subs, strict=True):
        column(xc, sub)
    # recurrent arrows, including one coming from the step before and one going to the step after
    left_in = xs[0] - bw / 2 - 0.85
    _arrow(ax, [(left_in, ys), (xs[0] - bw / 2, ys)], c["state"])
    ax.text(left_in - 0.08, ys, r"$\cdots$", ha="right", va="center", fontsize=FONTSIZE)
    ax.text((left_in + xs[0] - bw / 2) / 2, ys + 0.1, "$W$", ha="center", va="bottom", fontsize=FONTSIZE)
    for xa, xb in zip(xs[:-1], xs[1:], strict=True):
        _arrow(ax, [(xa + bw / 2, ys), (xb - bw / 2, ys)], c["state"])
        ax.text((xa + xb) / 2, ys + 0.1, "$W$", ha="center", va="bottom", fontsize=FONTSIZE)
    right_out = xs[-1] + bw / 2 + 0.85
    _arrow(ax, [(xs[-1] + bw / 2, ys), (right_out, ys)], c["state"])
    ax.text((xs[-1] + bw / 2 + right_out) / 2, ys + 0.1, "$W$", ha="center", va="bottom", fontsize=FONTSIZE)
    ax.text(right_out + 0.08, ys, r"$\cdots$", ha="left", va="center", fontsize=FONTSIZE)

    ax.text(
        min((xs[0] + xs[-1]) / 2, right_out + 0.55 - 2.4),  # under the chain, inside the figure
        rows["x"] - 0.75,
        "the same $U$, $W$, $V$ at every step",
        ha="center",
        va="center",
        fontsize=SMALL,
        color=PALETTE["line"],
    )
    return _finish(ax, created, (-0.3, right_out + 0.55), (rows["x"] - 1.05, rows["o"] + 0.55), inches_per_unit=0.72)


# ----------------------------------------------------------------------------------------------------
# the LSTM cell


def draw_lstm_cell(highlight=None, ax=None):
    """One LSTM cell, in the layout of Christopher Olah's diagram.

    The cell state runs along the top: :math:`C_t = f_t * C_{t-1} + i_t * \\tilde C_t`. The four layers
    (three sigmoid gates and the tanh candidate) read :math:`[h_{t-1}, x_t]` from the bottom; the output is
    :math:`h_t = o_t * \\tanh(C_t)`.

    ``highlight`` is one of ``None, "forget", "input", "candidate", "cell", "output"``: that part is drawn
    in colour, the rest in grey, and its equation is written under the cell.
    """
    if highlight is not None and highlight not in LSTM_PARTS:
        allowed = ", ".join(repr(p) for p in (None, *LSTM_PARTS))
        raise ValueError(f"highlight must be one of {allowed}; got {highlight!r}")
    ax, created = _new_axes(ax)
    c = PALETTE

    def on(*parts):
        return highlight is None or highlight in parts

    def col(color, *parts):
        return color if on(*parts) else c["muted"]

    def tcol(*parts):
        return c["line"] if on(*parts) else c["muted_text"]

    def lw(*parts):
        return 2.6 if (highlight is not None and highlight in parts) else 1.8

    # geometry
    y_c, y_mid, y_layer, y_bus = 5.2, 3.6, 2.1, 0.7
    x_in, x_f, x_i, x_g, x_o, x_h, x_split = 0.9, 2.85, 4.25, 6.0, 7.7, 9.1, 10.0
    x_box = 10.7  # right edge of the cell
    x_left, x_right = -1.3, 12.0
    lh, lwid, r = 0.64, 1.0, 0.24
    y_top = y_layer + lh / 2

    ax.add_patch(
        FancyBboxPatch(
            (0.0, 0.0),
            x_box,
            6.0,
            boxstyle="round,pad=0,rounding_size=0.35",
            facecolor=c["cell"],
            edgecolor="#9aa0a6",
            linewidth=1.4,
            zorder=0,
        )
    )

    # --- the cell state line along the top
    cell_parts = ("forget", "cell")
    _arrow(ax, [(x_left, y_c), (x_f - r, y_c)], col(c["state"], *cell_parts), lw=lw(*cell_parts), head=False)
    _arrow(ax, [(x_f + r, y_c), (x_g - r, y_c)], col(c["state"], "cell"), lw=lw("cell"), head=False)
    _arrow(ax, [(x_g + r, y_c), (x_right, y_c)], col(c["state"], "cell", "output"), lw=lw("cell", "output"))
    ax.text(x_left - 0.1, y_c, "$C_{t-1}$", ha="right", va="center", fontsize=FONTSIZE, color=tcol(*cell_parts))
    ax.text(x_right + 0.1, y_c, "$C_t$", ha="left", va="center", fontsize=FONTSIZE, color=tcol("cell", "output"))
    _op(ax, (x_f, y_c), r"$\times$", col(c["gate"], "forget", "cell"), lw=lw("forget", "cell"))
    _op(ax, (x_g, y_c), "$+$", col(c["state"], "cell"), lw=lw("cell"))

    # --- the input bus [h_{t-1}, x_t] along the bottom
    gates = ("forget", "input", "candidate", "output")
    _arrow(ax, [(x_left, y_bus), (x_o, y_bus), (x_o, y_bus)], col(c["state"], *gates), lw=lw(*gates), head=False)
    ax.text(x_left - 0.1, y_bus, "$h_{t-1}$", ha="right", va="center", fontsize=FONTSIZE, color=tcol(*gates))
    _arrow(ax, [(x_in, -0.9), (x_in, y_bus)], col(c["input"], *gates), lw=lw(*gates), head=False)
    _dot(ax, (x_in, y_bus), col(c["line"], *gates))
    ax.text(x_in, -1.0, "$x_t$", ha="center", va="top", fontsize=FONTSIZE, color=tcol(*gates))
    ax.text(x_in + 0.1, y_bus + 0.12, "$[h_{t-1}, x_t]$", ha="left", va="bottom", fontsize=SMALL, color=tcol(*gates))

    # --- the four layers, each fed from the bus
    layers = [
        (x_f, r"$\sigma$", c["gate"], "forget"),
        (x_i, r"$\sigma$", c["gate"], "input"),
        (x_g, "tanh", c["candidate"], "candidate"),
        (x_o, r"$\sigma$", c["gate"], "output"),
    ]
    for x, text, color, part in layers:  # each layer named under the point where it leaves the bus
        ax.text(x, y_bus - 0.16, part, ha="center", va="top", fontsize=SMALL, style="italic", color=tcol(part))
        if x != x_o:
            _dot(ax, (x, y_bus), col(c["line"], part))
        _arrow(ax, [(x, y_bus), (x, y_layer - lh / 2)], col(color, part), lw=lw(part))
        _box(ax, (x, y_layer), text, col(color, part), w=lwid, h=lh, text_color=tcol(part), lw=lw(part))

    # forget gate: f_t up to the × on the cell line
    _arrow(ax, [(x_f, y_top), (x_f, y_c - r)], col(c["gate"], "forget", "cell"), lw=lw("forget", "cell"))
    ax.text(
        x_f + 0.13, (y_top + y_c) / 2, "$f_t$", ha="left", va="center", fontsize=FONTSIZE, color=tcol("forget", "cell")
    )

    # input gate and candidate meet at a ×, whose product is added to the cell line
    _arrow(ax, [(x_i, y_top), (x_i, y_mid), (x_g - r, y_mid)], col(c["gate"], "input", "cell"), lw=lw("input", "cell"))
    ax.text(
        x_i + 0.13, (y_top + y_mid) / 2, "$i_t$", ha="left", va="center", fontsize=FONTSIZE, color=tcol("input", "cell")
    )
    _arrow(ax, [(x_g, y_top), (x_g, y_mid - r)], col(c["candidate"], "candidate", "cell"), lw=lw("candidate", "cell"))
    ax.text(
        x_g + 0.13,
        (y_top + y_mid - r) / 2,
        r"$\tilde{C}_t$",
        ha="left",
        va="center",
        fontsize=FONTSIZE,
        color=tcol("candidate", "cell"),
    )
    in_parts = ("input", "candidate", "cell")
    _op(ax, (x_g, y_mid), r"$\times$", col(c["gate"], *in_parts), lw=lw(*in_parts))
    _arrow(ax, [(x_g, y_mid + r), (x_g, y_c - r)], col(c["state"], *in_parts), lw=lw(*in_parts))

    # output gate: o_t times tanh(C_t) gives h_t
    _arrow(ax, [(x_o, y_top), (x_o, y_mid), (x_h - r, y_mid)], col(c["gate"], "output"), lw=lw("output"))
    ax.text(x_o + 0.13, (y_top + y_mid) / 2, "$o_t$", ha="left", va="center", fontsize=FONTSIZE, color=tcol("output"))
    y_tanh = (y_c + y_mid + r) / 2 + 0.02
    th = 0.5
    _dot(ax, (x_h, y_c), col(c["state"], "cell", "output"))
    _arrow(ax, [(x_h, y_c), (x_h, y_tanh + th / 2)], col(c["state"], "output"), lw=lw("output"))
    ax.add_patch(
        Ellipse(
            (x_h, y_tanh),
            1.1,
            th,
            facecolor=_tint(col(c["candidate"], "output"), 0.16),
            edgecolor=col(c["candidate"], "output"),
            linewidth=lw("output"),
            zorder=3,
        )
    )
    ax.text(x_h, y_tanh, "tanh", ha="center", va="center", fontsize=SMALL, color=tcol("output"), zorder=4)
    _arrow(ax, [(x_h, y_tanh - th / 2), (x_h, y_mid + r)], col(c["candidate"], "output"), lw=lw("output"))
    _op(ax, (x_h, y_mid), r"$\times$", col(c["gate"], "output"), lw=lw("output"))

    # h_t leaves to the right (the next step) and up (the output of this step)
    hcol = col(c["state"], "output")
    _arrow(ax, [(x_h + r, y_mid), (x_split, y_mid)], hcol, lw=lw("output"), head=False)
    _dot(ax, (x_split, y_mid), hcol)
    _arrow(ax, [(x_split, y_mid), (x_split, y_bus), (x_right, y_bus)], hcol, lw=lw("output"))
    ax.text(x_right + 0.1, y_bus, "$h_t$", ha="left", va="center", fontsize=FONTSIZE, color=tcol("output"))
    # the upward h_t passes under the cell line without joining it: a gap in h_t where they cross
    _arrow(ax, [(x_split, y_mid), (x_split, 6.9)], hcol, lw=lw("output"), zorder=1.5)
    gap = 0.2
    ax.add_patch(Rectangle((x_split - 0.1, y_c - gap), 0.2, 2 * gap, facecolor=c["cell"], edgecolor="none", zorder=1.8))
    ax.text(x_split, 7.0, "$h_t$", ha="center", va="bottom", fontsize=FONTSIZE, color=tcol("output"))

    if highlight is not None:
        equation = LSTM_EQUATIONS[highlight]
        ax.text(x_box / 2, -1.85, equation, ha="center", va="top", fontsize=FONTSIZE, color=c["line"], linespacing=1.6)
    lines = LSTM_EQUATIONS[highlight].count("\n") + 1 if highlight is not None else 0
    ylim = (-2.0 - 0.65 * lines if lines else -1.65, 7.6)
    return _finish(ax, created, (x_left - 1.2, x_right + 0.7), ylim, inches_per_unit=0.586)


# ----------------------------------------------------------------------------------------------------
# the stacked network


def draw_stacked_network(layers=3, steps=3, ax=None):
    """A stacked (multi-layer) recurrent network unrolled over ``steps`` time steps.

    Rows, bottom to top: the input layer, ``layers`` hidden layers and the output layer. Horizontal arrows
    carry a layer's state to its next step (each layer has its own weights, shared across time); vertical
    arrows feed :math:`h^{(l)}_t` to layer :math:`l + 1` as its input.
    """
    for name, value, hi in (("layers", layers, 6), ("steps", steps, 5)):
        if not isinstance(value, (int, np.integer)) or not 1 <= value <= hi:
            raise ValueError(f"{name} must be an integer between 1 and {hi}, got {value!r}")
    layers, steps = int(layers), int(steps)
    c = PALETTE
    dx, dy = 2.3, 1.25
    x0 = 3.6
    bw, bh = 1.15, 0.62
    n_rows = layers + 2
    xs = [x0 + k * dx for k in range(steps)]
    right = xs[-1] + bw / 2 + 1.3
    ax, created = _new_axes(ax)
    subs = _step_labels(steps)

    for row in range(n_rows):
        y = row * dy
        if row == 0:
            name, color, symbol = "input layer", c["input"], "x"
        elif row == n_rows - 1:
            name, color, symbol = "output layer", c["output"], "o"
        else:
            name, color, symbol = f"hidden layer {row}", c["state"], f"h^{{({row})}}"
        ax.text(0.0, y, name, ha="left", va="center", fontsize=SMALL, color=color)
        for x, t in zip(xs, subs, strict=True):
            _box(ax, (x, y), f"${symbol}_{{{t}}}$", color, w=bw, h=bh)
            if row < n_rows - 1:
                _arrow(ax, [(x, y + bh / 2), (x, y + dy - bh / 2)], c["line"])
        if 0 < row < n_rows - 1:
            ax.text(xs[0] - bw / 2 - 0.55, y + 0.08, r"$\cdots$", ha="center", va="bottom", fontsize=SMALL)
            _arrow(ax, [(xs[0] - bw / 2 - 0.8, y), (xs[0] - bw / 2, y)], c["state"])
            for xa, xb in zip(xs[:-1], xs[1:], strict=True):
                _arrow(ax, [(xa + bw / 2, y), (xb - bw / 2, y)], c["state"])
            _arrow(ax, [(xs[-1] + bw / 2, y), (xs[-1] + bw / 2 + 0.8, y)], c["state"])
            ax.text(xs[-1] + bw / 2 + 0.55, y + 0.08, r"$\cdots$", ha="center", va="bottom", fontsize=SMALL)

    ax.text(
        0.0,
        -0.95,
        "$h^{(l)}_t$: state of hidden layer $l$ at step $t$, the input of layer $l+1$\n"
        "(layer 1 reads $x_t$). Horizontal arrows: each layer's own weights,\nthe same at every step.",
        ha="left",
        va="top",
        fontsize=SMALL,
        color=c["line"],
        linespacing=1.5,
    )
    # at least as wide as the lines of explanation under the drawing
    return _finish(ax, created, (-0.2, max(right + 0.2, 10.0)), (-2.75, (n_rows - 1) * dy + 0.5), inches_per_unit=0.82)


# ----------------------------------------------------------------------------------------------------
# a gate


def draw_gate(z=(-4.0, -1.0, 0.0, 1.5, 4.0), a=(2.0, 1.0, -1.5, 0.8, 1.2), ax=None):
    """A gate: a sigmoid layer and a pointwise multiplication.

    The sigmoid turns the pre-activations ``z`` into gate values :math:`g = \\sigma(z)` between 0 and 1
    (shaded: white is 0, full colour is 1). Multiplying the information ``a`` by them component by
    component lets :math:`g \\approx 0` components through not at all and :math:`g \\approx 1` components
    through whole.
    """
    z = np.asarray(z, dtype=float)
    a = np.asarray(a, dtype=float)
    if z.ndim != 1 or not 1 <= z.size <= 8:
        raise ValueError(f"z must be a vector of 1 to 8 numbers, got shape {z.shape}")
    if a.shape != z.shape:
        raise ValueError(f"a must have the shape of z, {z.shape}; got {a.shape}")
    if not (np.all(np.isfinite(z)) and np.all(np.isfinite(a))):
        raise ValueError("z and a must be finite")
    g = 1.0 / (1.0 + np.exp(-z))
    out = g * a
    c = PALETTE
    n = z.size
    cw, ch = 1.05, 0.55  # cell width and height
    ax, created = _new_axes(ax)
    top = (n - 1) * ch

    def vector(x, values, title, color, alphas, fmt="{:.2f}"):
        for k, (v, al) in enumerate(zip(values, alphas, strict=True)):
            y = top - k * ch
            ax.add_patch(
                Rectangle(
                    (x - cw / 2, y - ch / 2),
                    cw,
                    ch,
                    facecolor=_tint(color, al),
                    edgecolor=color,
                    linewidth=1.4,
                    zorder=3,
                )
            )
            ax.text(
                x,
                y,
                fmt.format(v).replace("-", "\u2212"),
                ha="center",
                va="center",
                fontsize=SMALL,
                color=c["line"],
                zorder=4,
            )
        ax.text(x, top + ch / 2 + 0.15, title, ha="center", va="bottom", fontsize=FONTSIZE, color=c["line"])

    ymid = top / 2
    xz, xsig, xg, xa, xo = 0.6, 2.35, 4.1, 6.0, 8.1
    vector(xz, z, "$z$", c["line"], np.zeros(n), fmt="{:.1f}")
    # the sigmoid layer, with a small sigmoid curve in it
    sw, sh = 1.2, 1.0
    ax.add_patch(
        FancyBboxPatch(
            (xsig - sw / 2, ymid - sh / 2),
            sw,
            sh,
            boxstyle="round,pad=0,rounding_size=0.12",
            facecolor=_tint(c["gate"], 0.16),
            edgecolor=c["gate"],
            linewidth=1.8,
            zorder=3,
        )
    )
    u = np.linspace(-6, 6, 60)
    ax.plot(xsig - 0.45 + 0.9 * (u + 6) / 12, ymid - 0.3 + 0.6 / (1 + np.exp(-u)), color=c["gate"], lw=2, zorder=4)
    ax.text(xsig, ymid - sh / 2 - 0.1, "sigmoid\nlayer", ha="center", va="top", fontsize=SMALL, color=c["line"])
    _arrow(ax, [(xz + cw / 2 + 0.1, ymid), (xsig - sw / 2, ymid)], c["line"])
    _arrow(ax, [(xsig + sw / 2, ymid), (xg - cw / 2 - 0.1, ymid)], c["line"])
    vector(xg, g, r"$g = \sigma(z)$", c["gate"], g)
    _op(ax, ((xg + xa) / 2, ymid), r"$\times$", c["gate"], r=0.26)
    vector(xa, a, "$a$", c["state"], np.full(n, 0.18), fmt="{:.1f}")
    ax.text((xa + xo) / 2, ymid, "$=$", ha="center", va="center", fontsize=FONTSIZE + 6)
    vector(xo, out, r"$g * a$", c["state"], 0.55 * g)
    # say what the extreme gate values do
    x_note = xo + cw / 2 + 0.2
    k_lo, k_hi = int(np.argmin(g)), int(np.argmax(g))
    if g[k_lo] < 0.1:
        ax.text(
            x_note,
            top - k_lo * ch,
            "$g\\approx 0$:\nnothing through",
            ha="left",
            va="center",
            fontsize=SMALL,
            color=c["line"],
            linespacing=1.1,
        )
    if g[k_hi] > 0.9:
        ax.text(
            x_note,
            top - k_hi * ch,
            "$g\\approx 1$:\neverything through",
            ha="left",
            va="center",
            fontsize=SMALL,
            color=c["line"],
            linespacing=1.1,
        )
    y_low = min(-ch / 2, ymid - sh / 2 - 0.85)
    ax.text(
        xz - cw / 2,
        y_low - 0.38,
        "$\\times$ is pointwise: each component of $a$ is multiplied\nby its own gate value in $g$.",
        ha="left",
        va="top",
        fontsize=SMALL,
        color=c["line"],
        linespacing=1.4,
    )
    xlim = (xz - cw / 2 - 0.2, x_note + 3.0)
    ylim = (y_low - 1.3, top + ch / 2 + 0.65)
    return _finish(ax, created, xlim, ylim, inches_per_unit=0.73)
