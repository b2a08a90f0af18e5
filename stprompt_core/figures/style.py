"""Layout rules every figure of the book shares, so they stay legible from 1280 px down to a phone.

Plotly's mode bar (zoom, download) floats over the top-right corner of a figure; on a narrow
page it covers a title placed at the top. :func:`set_title` puts the title just below it.
"""

from __future__ import annotations

import plotly.graph_objects as go

MODEBAR_PX = 28  # height of plotly's mode bar
TITLE_SIZE = 14
SUBPLOT_TITLE_SIZE = 12


def set_title(fig: go.Figure, text: str, height: int) -> None:
    """Left-aligned figure title starting ``MODEBAR_PX`` below the top of a figure ``height`` px tall.

    The figure's top margin must leave room for it (``MODEBAR_PX`` + about 22 px, plus any
    subplot titles).
    """
    fig.update_layout(title=dict(text=text, font=dict(size=TITLE_SIZE), x=0.01, xanchor="left",
                                 y=1 - MODEBAR_PX / height, yref="container", yanchor="top"))
