"""The views a Fig 1.7 run publishes, declared once."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from fpengine.replay import ReplayViews


class ImageViews(ReplayViews):
    """The picture and the network's, their spectra, the figure's panels and the replay's frames."""

    ALIASES: ClassVar[dict[str, str]] = {"frame_steps": "history_steps"}
    """Runs saved before the replay steps had one name kept Fig 1.7's as ``frame_steps``; a saved
    run has them under both names."""

    target: np.ndarray
    output: np.ndarray
    target_spectrum: np.ndarray
    output_spectrum: np.ndarray
    panel_steps: np.ndarray
    panel_outputs: np.ndarray
    frames: np.ndarray
    """The output at each kept step (``history_steps``), uint8."""
    trained_mask: np.ndarray
