"""The look of every chart shopkeep draws (eval reports, the analytics page): matplotlib
figures rendered as inline SVG."""

from __future__ import annotations

import io
from typing import Any

import matplotlib
from matplotlib.figure import Figure

STYLE: dict[Any, Any] = {
    "svg.fonttype": "none",  # text stays text: smaller, searchable, and any script renders
    "svg.hashsalt": "shopkeep",  # the same figures give the same ids
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def svg(figure: Figure) -> str:
    """The figure as an inline <svg> element."""
    out = io.StringIO()
    with matplotlib.rc_context(STYLE):
        figure.savefig(out, format="svg", bbox_inches="tight")
    text = out.getvalue()
    return text[text.index("<svg") :]
