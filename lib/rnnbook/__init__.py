"""Helpers for the book's pages: showing library source and drawing the course's figures.

Nothing here is part of the neural-network library (`rnnlib`); these are the tools the chapters use to
explain it.
"""

from rnnbook.diagrams import (
    PALETTE,
    draw_gate,
    draw_lstm_cell,
    draw_stacked_network,
    draw_unrolled_rnn,
)
from rnnbook.source import get_source, show_source

__all__ = [
    "PALETTE",
    "draw_gate",
    "draw_lstm_cell",
    "draw_stacked_network",
    "draw_unrolled_rnn",
    "get_source",
    "show_source",
]
