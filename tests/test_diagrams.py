"""The book's figures and source helper (`rnnbook`): the right labels, the error paths, no randomness."""

import io

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from rnnbook import (
    draw_gate,
    draw_lstm_cell,
    draw_stacked_network,
    draw_unrolled_rnn,
    get_source,
    show_source,
)
from rnnbook.diagrams import LSTM_PARTS

matplotlib.use("Agg")  # headless, whatever MPLBACKEND says


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def texts(fig):
    """Every string drawn in the figure."""
    return {t.get_text() for t in fig.findobj(Text) if t.get_text()}


def png_bytes(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------- RNN


def test_unrolled_rnn_labels():
    fig = draw_unrolled_rnn()
    assert isinstance(fig, Figure)
    labels = texts(fig)
    for name in ["$x$", "$s$", "$o$", "$x_{t-1}$", "$s_{t}$", "$o_{t+1}$", "$U$", "$W$", "$V$", "unroll"]:
        assert name in labels, name


@pytest.mark.parametrize("T", [1, 2, 5])
def test_unrolled_rnn_has_T_steps(T):
    labels = texts(draw_unrolled_rnn(T))
    states = [s for s in labels if s.startswith("$s_{")]
    assert len(states) == T


@pytest.mark.parametrize("T", [0, 7, 2.5, "3"])
def test_unrolled_rnn_rejects_bad_T(T):
    with pytest.raises(ValueError, match="T"):
        draw_unrolled_rnn(T)


# --------------------------------------------------------------------------------------------- LSTM

LSTM_LABELS = [
    "$C_{t-1}$",
    "$C_t$",
    "$h_{t-1}$",
    "$x_t$",
    "$h_t$",
    "$f_t$",
    "$i_t$",
    r"$\tilde{C}_t$",
    "$o_t$",
    r"$\sigma$",
    "tanh",
    r"$\times$",
    "$+$",
]


@pytest.mark.parametrize("highlight", [None, *LSTM_PARTS])
def test_lstm_cell_labels(highlight):
    fig = draw_lstm_cell(highlight)
    assert isinstance(fig, Figure)
    labels = texts(fig)
    for name in LSTM_LABELS:
        assert name in labels, name


def test_lstm_cell_highlight_writes_its_equation():
    assert not any("=" in s for s in texts(draw_lstm_cell()))
    assert any(s.startswith("forget gate:") and "f_t" in s for s in texts(draw_lstm_cell("forget")))
    assert any("C_t = f_t * C_{t-1} + i_t * \\tilde{C}_t" in s for s in texts(draw_lstm_cell("cell")))


@pytest.mark.parametrize("bad", ["Forget", "gate", "", 1])
def test_lstm_cell_rejects_unknown_highlight(bad):
    with pytest.raises(ValueError) as err:
        draw_lstm_cell(bad)
    message = str(err.value)
    for part in ["None", *LSTM_PARTS]:
        assert part in message


def test_lstm_cell_draws_into_given_axes():
    fig, ax = plt.subplots(figsize=(9, 6))
    assert draw_lstm_cell("output", ax=ax) is fig
    assert "$h_t$" in texts(fig)


# ---------------------------------------------------------------------------------------------- stack


def test_stacked_network_layers():
    labels = texts(draw_stacked_network(layers=3))
    assert {"input layer", "hidden layer 1", "hidden layer 2", "hidden layer 3", "output layer"} <= labels
    assert "hidden layer 4" not in labels
    assert "$h^{(3)}_{t}$" in labels
    assert "hidden layer 4" in texts(draw_stacked_network(layers=4))


def test_stacked_network_steps_and_notation():
    labels = texts(draw_stacked_network(layers=2, steps=2))
    assert {"$x_{t-1}$", "$x_{t}$", "$h^{(2)}_{t-1}$", "$o_{t}$"} <= labels
    assert any("$h^{(l)}_t$" in s for s in labels)


@pytest.mark.parametrize("kwargs", [{"layers": 0}, {"layers": 7}, {"steps": 0}, {"steps": 1.5}])
def test_stacked_network_rejects_bad_sizes(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        draw_stacked_network(**kwargs)


# ----------------------------------------------------------------------------------------------- gate


def test_gate_values():
    fig = draw_gate([-4.0, 0.0, 4.0], [2.0, 1.0, 1.0])
    labels = texts(fig)
    assert {"$z$", r"$g = \sigma(z)$", "$a$", "$g * a$"} <= labels
    assert {"0.02", "0.50", "0.98", "0.04"} <= labels  # sigmoid values and one product
    assert any("nothing through" in s for s in labels)
    assert any("everything through" in s for s in labels)


@pytest.mark.parametrize(
    ("z", "a", "match"),
    [([0.0, 1.0], [1.0], "a"), ([[0.0]], [[1.0]], "z"), ([float("nan")], [1.0], "finite")],
)
def test_gate_rejects_bad_vectors(z, a, match):
    with pytest.raises(ValueError, match=match):
        draw_gate(z, a)


# ---------------------------------------------------------------------------------------- determinism


@pytest.mark.parametrize(
    "draw",
    [draw_unrolled_rnn, draw_lstm_cell, lambda: draw_lstm_cell("input"), draw_stacked_network, draw_gate],
)
def test_drawings_are_deterministic(draw):
    assert png_bytes(draw()) == png_bytes(draw())


# --------------------------------------------------------------------------------------------- source


def _example(x):
    """A function whose source the tests show."""
    return x + 1


def test_show_source_prints_the_def_line(capsys):
    assert show_source(_example) is None
    out = capsys.readouterr().out
    assert "def _example(x):" in out
    assert "return x + 1" in out


def test_show_source_several_objects(capsys):
    show_source(_example, texts)
    out = capsys.readouterr().out
    assert out.index("def _example(x):") < out.index("def texts(fig):")


def test_show_source_displays_highlighted_code_in_ipython(monkeypatch):
    from IPython.display import Code

    shown = []
    monkeypatch.setattr("IPython.get_ipython", lambda: object())
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    show_source(draw_gate)
    assert len(shown) == 1 and isinstance(shown[0], Code)
    assert "def draw_gate(" in shown[0].data
    assert "draw_gate" in shown[0]._repr_html_()  # highlighted as HTML for the book


def test_get_source_errors():
    with pytest.raises(ValueError, match="at least one"):
        get_source()
    with pytest.raises(ValueError, match="cannot find the source"):
        get_source(3)
