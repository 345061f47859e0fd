"""The views a Sec 1.6 run publishes, declared once."""

from __future__ import annotations

from fpengine.readout.views import ReadoutViews, TheoryViews


class BeyondViews(ReadoutViews, TheoryViews):
    """The read-out's views, the Theory's, and what trained the net and what it cost."""

    optimizer: str
    """The algorithm: a method, or gradient descent's optimizer."""
    width: int
    parameter_count: int
    evaluations: int
    """Objective evaluations so far (a swarm's particles each count)."""
    message: str
    """SciPy's message when the method stopped, else empty."""
