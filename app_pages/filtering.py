"""Fig 1.12 · the filtering method: widgets → FilteringConfig → run engine → charts; plus a
side-by-side comparison of DNN, CNN and VGG16."""

from fpengine.highdim.filtering import FILTERING
from ui.common import language_safe_tabs
from ui.filtering import (
    TAB_KEY,
    compare_delta,
    comparison_configs,
    comparison_intro,
    describe,
    filtering_settings,
    render,
    render_comparison,
)
from ui.highdim import offline_hint
from ui.layout import page_layout
from ui.run_panel import keep_alive, run_group_panel, run_panel, whole
from ui.views import heatmap_options

layout = page_layout(FILTERING.title_key, "filtering.intro")
with layout.settings:
    config = filtering_settings()
with layout.options:
    log_epochs, scheme = heatmap_options(FILTERING.name)
with layout.run:
    # only the tab on show is drawn (its charts redraw while runs train); the other's runs stay watched
    single, compare = language_safe_tabs(TAB_KEY, ("highdim.tab_single", "highdim.tab_compare"))
with single:
    if single.open:
        run_panel(FILTERING, config, whole(lambda snapshot, run_config: render(snapshot, run_config, log_epochs, scheme)))
        offline_hint(FILTERING)
with compare:
    if compare.open:
        comparison_intro()
        delta = compare_delta()
        run_group_panel(FILTERING, comparison_configs(config), lambda runs: render_comparison(runs, log_epochs, scheme, delta), describe)
keep_alive(FILTERING)  # the runs of the tab not on show
