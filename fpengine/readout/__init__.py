"""The 1-D read-out, shared by Figs 1.3–1.6 (``oned``) and Sec 1.6 (``beyond_gd``) and below both:
what a 1-D fit is measured by, whatever trains the network. The target (``targets``), the sampling
grid, the spectral read-out and Theory settings and the gradient-descent reference (``settings``),
the target's spectrum, its peaks and the ΔF convergence summary (``analysis``), the linearised
(NTK) prediction (``theory``), the charts of both (``charts``) and their strings (``strings``).
Not a chapter section: it has no experiment of its own and imports none."""

from fpengine.i18n import register
from fpengine.readout.strings import STRINGS

register("readout", STRINGS)
