"""The views a 1-D run publishes, declared once (``engine.views``), shared by Figs 1.3–1.6 and
Sec 1.6: the target and the output on the plot grid, both spectra, the peaks and the tracked ones,
the replay's frames; and the Theory's, when the run made the prediction. A frame of a replay is
``output_frame``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from fpengine.engine.runner import Snapshot
from fpengine.engine.views import Views
from fpengine.replay import ReplayViews, frame_at


class ReadoutViews(ReplayViews):
    x_plot: np.ndarray
    """The plot grid: the training domain and a margin."""
    target_plot: np.ndarray
    output_plot: np.ndarray
    target_spectrum: np.ndarray
    """|DFT|/N of the target on the training grid, the first ``n_freq`` indices."""
    output_spectrum: np.ndarray
    peaks: np.ndarray
    genuine: np.ndarray
    """Per peak: a real component (True) or a leakage side-lobe."""
    selected: np.ndarray
    """The DFT indices ΔF tracks."""
    history_outputs: np.ndarray
    """The output at each kept step (``history_steps``), float32."""
    history_spectra: np.ndarray


class TheoryViews(Views):
    """The linearised prediction's (``theory=ntk``)."""

    ntk_eigenvalues: np.ndarray
    ntk_eigen_indices: np.ndarray
    ntk_learning_rate: float
    ntk_optimizer: str
    ntk_seconds: float
    ntk_steps_needed: np.ndarray
    parameter_drift: float
    kernel_drift: float
    """Only at the end of the run."""


def output_frame(snapshot: Snapshot, step: float) -> tuple[int, Snapshot]:
    """The frame of a 1-D run nearest ``step``: its step, and the snapshot showing that frame's
    output (``history_outputs``) and spectrum (``history_spectra``)."""
    v = ReadoutViews

    def frame(views: Mapping[str, Any], i: int) -> dict[str, Any]:
        return {v.output_plot: views[v.history_outputs][i], v.output_spectrum: views[v.history_spectra][i]}

    return frame_at(snapshot, step, frame)
