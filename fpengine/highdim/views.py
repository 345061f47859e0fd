"""The views the high-dimensional runs publish (Figs 1.10 and 1.12), declared once."""

from __future__ import annotations

import numpy as np

from fpengine.replay import ReplayViews


class DownloadViews(ReplayViews):
    """A dataset's download, published before the first epoch."""

    download_file: str
    download_bytes: int
    download_total: int


class ProjectionViews(DownloadViews):
    frequencies: np.ndarray
    """The frequency grid along the projection direction."""
    label_spectrum: np.ndarray
    output_spectrum: np.ndarray
    peaks: np.ndarray
    selected: np.ndarray
    """The rows of ``frequencies`` ΔF tracks."""
    unreliable: np.ndarray
    noise_floor: float
    delta_f_grid: np.ndarray
    """ΔF at every frequency of the grid, every recorded step."""
    epoch: np.ndarray
    history_spectra: np.ndarray


class FilteringViews(DownloadViews):
    deltas: np.ndarray
    median_nn_distance: float
