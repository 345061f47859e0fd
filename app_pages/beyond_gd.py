"""Sec 1.6: the F-Principle under conjugate gradient, BFGS, L-BFGS, Powell and particle swarm, with
gradient descent (Adam, SGD, …) for reference; one method, or several side by side from the same
initial network."""

from fpengine.beyond_gd.experiment import BEYOND_GD
from fpengine.beyond_gd.settings import GRADIENT_DESCENT
from fpengine.readout.settings import gradient_descent_reference
from ui.beyond_gd import beyond_settings, compare_mode, describe, render_comparison, render_run
from ui.common import settings_area, tr
from ui.controls import preset_base
from ui.layout import page_layout
from ui.run_panel import current_job, run_group_panel, run_panel, whole
from ui.views import gradient_descent_rerun, heatmap_options

# run controls and live views on top, as on the 1-D pages; the target designer below
layout = page_layout(BEYOND_GD.title_key, "beyond-gd.intro", notes=("beyond-gd.sources",), settings_first=False)
preset = preset_base(BEYOND_GD, BEYOND_GD.name)
compare = compare_mode()
with layout.settings, settings_area():
    configs = beyond_settings(preset, compare)
with layout.options:
    log_steps, scheme = heatmap_options(BEYOND_GD.name)
with layout.run:
    if compare:
        run_group_panel(BEYOND_GD, configs, lambda runs: render_comparison(runs, log_steps, scheme), describe)
    else:
        run_panel(BEYOND_GD, configs[0] if configs else None, whole(lambda snapshot, run: render_run(snapshot, run, log_steps, scheme)))
        job = current_job(BEYOND_GD)
        shown = job.config if job is not None else configs[0] if configs else None
        if shown is not None and shown.theory == "ntk":
            gradient_descent_rerun(BEYOND_GD, gradient_descent_reference(shown, method=GRADIENT_DESCENT), x_title=tr("beyond.iteration"))
