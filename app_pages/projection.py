"""Fig 1.10 · the projection method: widgets → ProjectionConfig → run engine → charts."""

from fpengine.highdim.projection import PROJECTION
from ui.highdim import offline_hint
from ui.layout import page_layout
from ui.projection import label_preview, linked_rows, projection_settings, render, view_settings
from ui.run_panel import run_panel, whole
from ui.views import heatmap_options

layout = page_layout(PROJECTION.title_key, "projection.intro")
with layout.settings:
    config = projection_settings()
    if config is not None:
        label_preview(config)
with layout.options:
    log_epochs, scheme = heatmap_options(PROJECTION.name, log_steps=True)  # the chapter draws Fig 1.10 on a log epoch axis
    linked_rows()
    vmax = view_settings()
with layout.run:
    run_panel(PROJECTION, config, whole(lambda snapshot, run_config: render(snapshot, run_config, log_epochs, scheme, vmax)))
    offline_hint(PROJECTION)
