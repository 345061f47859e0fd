"""The views a 1-D run publishes (Figs 1.3–1.6), declared once."""

from __future__ import annotations

import numpy as np

from fpengine.readout.views import ReadoutViews, TheoryViews


class OneDViews(ReadoutViews, TheoryViews):
    """What a 1-D run publishes: the read-out's views, the Theory's, and the figure's panels."""

    panel_steps: np.ndarray
    """The steps of ``snapshot_steps`` reached so far, with the output (and spectrum) at each."""
    panel_outputs: np.ndarray
    panel_spectra: np.ndarray
