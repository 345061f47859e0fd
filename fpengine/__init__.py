"""fpengine: the UI-free engine of F-Principle Explorer (targets, models, spectra, run engine, charts)."""

__version__ = "0.1.0"
