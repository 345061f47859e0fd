"""Sec 1.6: the F-Principle under conjugate gradient, BFGS, L-BFGS, Powell and particle swarm, with
Adam/SGD for reference; one optimizer, or several side by side from the same initial network."""

from __future__ import annotations

import dataclasses

import streamlit as st

from fpengine.beyond_gd.experiment import (
    BEYOND_GD,
    COMPARE_DEFAULT,
    SWARM_WIDTH,
    BeyondConfig,
    chart_builders,
    heatmap_figure,
    slowness_warning,
    summarize,
    work_table,
)
from fpengine.beyond_gd.nongradient import ALL_METHODS, GRADIENT_DESCENT_METHODS, SWARM_METHOD, SwarmSettings
from fpengine.engine.runner import Snapshot
from fpengine.models import ACTIVATIONS
from fpengine.settings.config import ConfigError
from ui.common import lang, live_chart, show_invalid_settings, tr, translated
from ui.controls import SettingError, grid_settings, preset_base, seed_setting, spectrum_settings, widget
from ui.run_panel import run_group_panel, run_panel
from ui.target_designer import peak_selector, target_designer
from ui.views import heatmap_options, spectral_layout

KEY = BEYOND_GD.name


def method_name(method: str) -> str:
    return tr(f"beyond.method.{method}")


def view_options() -> dict[str, object]:
    return {"log_steps": bool(st.session_state.get(f"{KEY}.log_steps", False)),
            "scheme": st.session_state.get(f"{KEY}.scheme", "redblue")}


def chart_context(config: BeyondConfig) -> tuple:
    """What a live chart depends on besides the snapshot (a run's config lives as long as the run)."""
    return (id(config), lang(), *view_options().values())


def optimizer_settings(base: BeyondConfig, methods: list[str], compare: bool) -> BeyondConfig:
    """Network, iteration cap, learning rate and swarm widgets for the chosen optimizer(s)."""
    single = methods[0]
    width_field, width_default = ("width.compare", SWARM_WIDTH) if compare else \
        (f"width.{single}", dataclasses.replace(base, optimizer=single).network_width)
    with st.sidebar.expander(tr("beyond.network"), expanded=True):
        width = widget(KEY, width_field, st.number_input, tr("beyond.width"), width_default, min_value=1,
                       max_value=1000, step=5, help=tr("beyond.width_help"))
        activation = widget(KEY, "activation", st.selectbox, tr("settings.activation"), base.activation,
                            options=list(ACTIVATIONS))
        init_std = widget(KEY, "init_std", st.number_input, tr("beyond.init_std"), float(base.init_std),
                          min_value=0.01, max_value=10.0, step=0.05)
    config = dataclasses.replace(base, optimizer=single, width=int(width), activation=activation,
                                 init_std=float(init_std))
    st.sidebar.caption(tr("beyond.parameters", p=config.parameter_count))
    for method in methods:
        warning = slowness_warning(method, config.parameter_count)
        if warning is not None:
            st.sidebar.warning(tr(warning[0], **warning[1]))
    with st.sidebar.expander(tr("settings.training"), expanded=True):
        if compare:
            st.caption(" · ".join(f"{method_name(m)}: {base.iterations.of(m):,}" for m in methods))
        else:
            cap = widget(KEY, f"iterations.{single}", st.number_input, tr("beyond.iterations"),
                         base.iterations.of(single), min_value=1, max_value=1_000_000, step=10,
                         help=tr("beyond.iterations_help"))
            config = dataclasses.replace(config, max_iterations=int(cap))
        if any(m in GRADIENT_DESCENT_METHODS for m in methods):
            lr = widget(KEY, "lr", st.number_input, tr("beyond.lr"), float(base.lr), min_value=1e-6, max_value=10.0,
                        format="%.1e", step=1e-3)
            config = dataclasses.replace(config, lr=float(lr))
    if SWARM_METHOD in methods:
        with st.sidebar.expander(tr("beyond.swarm"), expanded=not compare):
            swarm = SwarmSettings(
                particles=int(widget(KEY, "particles", st.number_input, tr("beyond.particles"), base.swarm.particles,
                                     min_value=2, max_value=5000, step=50)),
                inertia=float(widget(KEY, "inertia", st.number_input, tr("beyond.inertia"), base.swarm.inertia,
                                     min_value=0.0, max_value=1.5, step=0.01, format="%.3f")),
                cognitive=float(widget(KEY, "cognitive", st.number_input, tr("beyond.cognitive"), base.swarm.cognitive,
                                       min_value=0.0, max_value=5.0, step=0.01, format="%.3f")),
                social=float(widget(KEY, "social", st.number_input, tr("beyond.social"), base.swarm.social,
                                    min_value=0.0, max_value=5.0, step=0.01, format="%.3f")),
            )
            config = dataclasses.replace(config, swarm=swarm)
    return config


def page_settings(base: BeyondConfig, compare: bool) -> list[BeyondConfig] | None:
    """One config per optimizer to run (the same target, network and seed); None when invalid."""
    try:
        st.sidebar.markdown(f"**{tr('settings.title')}**")
        if compare:
            methods = widget(KEY, "optimizers", st.sidebar.multiselect, tr("beyond.optimizers"), list(COMPARE_DEFAULT),
                             options=list(ALL_METHODS), format_func=translated("beyond.method"))
            if len(methods) < 2:
                raise SettingError(tr("beyond.compare_too_few"))
        else:
            methods = [widget(KEY, "optimizer", st.sidebar.selectbox, tr("beyond.optimizer"), base.optimizer,
                              options=list(ALL_METHODS), format_func=translated("beyond.method"))]
        config = optimizer_settings(base, methods, compare)
        config = dataclasses.replace(config, seed=seed_setting(base.seed, KEY), grid=grid_settings(base.grid, KEY),
                                     spectrum=spectrum_settings(base.spectrum, KEY),
                                     target=target_designer(base.target, KEY))
        config = peak_selector(config, KEY)
        config.validate()
    except (SettingError, ConfigError) as error:
        show_invalid_settings(error)
        return None
    if compare:
        st.caption(tr("beyond.compare_note"))
        return [dataclasses.replace(config, optimizer=method, max_iterations=None) for method in methods]
    return [config]


def render_run(snapshot: Snapshot, config: BeyondConfig) -> None:
    builders = chart_builders(config, snapshot, lang(), **view_options())

    def show(name: str) -> None:
        live_chart(f"{KEY}.{name}", chart_context(config), snapshot.version, builders[name], charts_on_page=4)

    summary = summarize(config, snapshot)
    st.caption(" · ".join([tr("beyond.live_evaluations", evaluations=summary["function_evaluations"]),
                           tr("beyond.parameters", p=summary["parameter_count"])]))
    spectral_layout(show, snapshot.traces["delta_f"], summary["convergence_step"], snapshot.step)
    st.markdown(f"**{tr('beyond.work')}**")
    st.dataframe(work_table({method_name(config.optimizer): (config, snapshot)}, lang()), hide_index=True)
    if summary["optimizer_message"]:
        reason = "beyond.stopped_early" if snapshot.step < summary["max_iterations"] else "beyond.stopped_at_cap"
        st.caption(tr(reason, iterations=snapshot.step, message=summary["optimizer_message"]))


def render_comparison(runs: list[tuple[BeyondConfig, Snapshot]]) -> None:
    if not runs:
        return
    st.subheader(tr("beyond.compare_title"))
    for index, (column, (config, snapshot)) in enumerate(zip(st.columns(len(runs)), runs, strict=True)):
        with column:
            live_chart(f"{KEY}.compare.{index}", chart_context(config), snapshot.version,
                       lambda config=config, snapshot=snapshot: heatmap_figure(config, snapshot, lang(), **view_options()),
                       charts_on_page=len(runs))
    st.caption(tr("view.heatmap_help"))
    st.markdown(f"**{tr('view.convergence')}**")
    st.dataframe(work_table({method_name(config.optimizer): (config, snapshot) for config, snapshot in runs}, lang()),
                 hide_index=True)


st.title(tr(BEYOND_GD.title_key))
st.markdown(tr("beyond-gd.intro"))
st.info(tr("beyond-gd.sources"))
preset = preset_base(BEYOND_GD, KEY)
compare_mode = widget(KEY, "mode", st.sidebar.radio, tr("beyond.mode"), "single", options=["single", "compare"],
                      format_func=translated("beyond.mode"), horizontal=True) == "compare"
live = st.container()  # run controls and live views on top, as on the 1-D pages; the target designer below
with st.container(border=True):
    configs = page_settings(preset, compare_mode)
with live:
    heatmap_options(KEY)
    if compare_mode:
        run_group_panel(BEYOND_GD, configs, render_comparison, describe=lambda config: method_name(config.optimizer))
    else:
        run_panel(BEYOND_GD, configs[0] if configs else None, render_run)
