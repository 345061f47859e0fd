"""Fig 1.7 · fitting a picture: picture + widgets → ImageFitConfig → run engine → pictures and charts."""

import streamlit as st

from fpengine.image.experiment import IMAGE_FIT
from ui.common import tr
from ui.image_fit import image_settings, render
from ui.layout import page_layout
from ui.run_panel import run_panel
from ui.views import heatmap_options

layout = page_layout(IMAGE_FIT.title_key, "image-fit.intro")
with layout.settings:
    config, target = image_settings()
    if target is not None:
        st.image(target, caption=tr("image.preview"), width=192, clamp=True)
with layout.options:
    log_steps, scheme = heatmap_options(IMAGE_FIT.name)
with layout.run:
    run_panel(IMAGE_FIT, config, lambda snapshot, run_config, part: render(snapshot, run_config, log_steps, scheme, part))
