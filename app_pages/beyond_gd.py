"""Sec 1.6: the F-Principle under conjugate gradient, BFGS, L-BFGS, Powell and particle swarm, with
gradient descent (Adam, SGD, …) for reference; one method, or several side by side from the same
initial network."""

from __future__ import annotations

import dataclasses

import streamlit as st

from fpengine.beyond_gd.charts import chart_builders, heatmap_figure, work_table
from fpengine.beyond_gd.experiment import BEYOND_GD, summarize
from fpengine.beyond_gd.nongradient import SWARM_METHOD, SwarmSettings
from fpengine.beyond_gd.settings import GRADIENT_DESCENT, SWARM_WIDTH, BeyondConfig, FlatNetworkConfig, slowness_warning
from fpengine.charts import output_chart
from fpengine.engine.runner import Snapshot
from fpengine.readout.settings import gradient_descent_reference
from fpengine.replay import output_frame
from fpengine.settings.config import ConfigError
from fpengine.settings.schema import Interval, ListOf, Optional, rule_of, validate
from ui.common import lang, live_chart, result_table, settings_area, show_invalid_settings, tr, translated
from ui.controls import SettingError, grid_settings, preset_base, seed_setting, spectrum_settings, widget
from ui.run_panel import current_job, run_group_panel, run_panel
from ui.target_designer import peak_selector, target_designer
from ui.views import (
    gradient_descent_rerun,
    group_replay_view,
    heatmap_options,
    replay_view,
    spectral_layout,
    theory_layout,
    theory_setting,
)

KEY = BEYOND_GD.name
# (comments, not docstrings, in a page script: Streamlit's magic writes a floating string on the page)
COMPARE_DEFAULT = ("bfgs", "powell", "pso")  # compare mode's first choice: a quasi-Newton, a direction-set and a swarm method


def interval(path: str) -> Interval:
    """The declared interval of a number setting (of each item, for a list; of the value, for an optional one)."""
    rule = rule_of(BeyondConfig, path)
    while isinstance(rule, (Optional, ListOf)):
        rule = rule.rule if isinstance(rule, Optional) else rule.item
    assert isinstance(rule, Interval), path
    return rule


def bounds(path: str, kind: type = float) -> dict[str, float]:
    """``min_value``/``max_value`` of a number widget, from the setting's declaration."""
    rule = interval(path)
    return {"min_value": kind(rule.low), "max_value": kind(rule.high)}


def algorithms() -> list[str]:
    """What a run can be trained by: every method but gradient descent, then each gradient optimizer."""
    methods = [m for m in rule_of(BeyondConfig, "method").choices if m != GRADIENT_DESCENT]
    return [*methods, *rule_of(BeyondConfig, "training.optimizer").choices]


def method_name(algorithm: str) -> str:
    return tr(f"beyond.method.{algorithm}")


def view_options() -> dict[str, object]:
    return {"log_steps": bool(st.session_state.get(f"{KEY}.log_steps", False)), "scheme": st.session_state.get(f"{KEY}.scheme", "redblue")}


def chart_context(config: BeyondConfig) -> tuple:
    """What a live chart depends on besides the snapshot (a run's config lives as long as the run)."""
    return (id(config), lang(), *view_options().values())


def optimizer_settings(base: BeyondConfig, chosen: list[str], compare: bool, theory: str) -> BeyondConfig:
    """Network, iteration cap, gradient-descent and swarm widgets for the chosen method(s); the
    learning rate also for the Theory's gradient-descent reference (``theory`` ``ntk``)."""
    single = chosen[0]
    width_field, width_default = (
        ("width.compare", SWARM_WIDTH) if compare else (f"width.{single}", dataclasses.replace(base, method=single).network_width)
    )
    with st.sidebar.expander(tr("beyond.network"), expanded=True):
        width = widget(
            KEY,
            width_field,
            st.number_input,
            tr("beyond.width"),
            width_default,
            step=5,
            help=tr("beyond.width_help"),
            **bounds("network.widths", int),
        )
        activation = widget(
            KEY,
            "activation",
            st.selectbox,
            tr("settings.activation"),
            base.network.activation,
            options=list(rule_of(BeyondConfig, "network.activation").choices),
        )
        init_std = widget(
            KEY, "init_std", st.number_input, tr("beyond.init_std"), float(base.network.init_std), step=0.05, **bounds("network.init_std")
        )
    network = FlatNetworkConfig(widths=(int(width),), activation=activation, init_std=float(init_std))
    config = dataclasses.replace(base, method=single, network=network)
    st.sidebar.caption(tr("beyond.parameters", p=config.parameter_count))
    for algorithm in chosen:
        warning = slowness_warning(algorithm, config.parameter_count)
        if warning is not None:
            st.sidebar.warning(tr(warning[0], **warning[1]))
    with st.sidebar.expander(tr("settings.training"), expanded=True):
        if compare:
            st.caption(" · ".join(f"{method_name(a)}: {base.iterations.of(a):,}" for a in chosen))
        else:
            cap = widget(
                KEY,
                f"iterations.{single}",
                st.number_input,
                tr("beyond.iterations"),
                base.iterations.of(single),
                step=10,
                help=tr("beyond.iterations_help"),
                **bounds(f"iterations.{single}", int),
            )
            config = dataclasses.replace(config, max_iterations=int(cap))
        gradient = rule_of(BeyondConfig, "training.optimizer").choices
        if any(a in gradient for a in chosen) or theory == "ntk":
            lr = widget(
                KEY, "lr", st.number_input, tr("beyond.lr"), float(base.training.lr), format="%.1e", step=1e-3, **bounds("training.lr")
            )
            config = dataclasses.replace(config, training=dataclasses.replace(config.training, lr=float(lr)))
        if "momentum" in chosen:
            momentum = widget(
                KEY,
                "momentum",
                st.number_input,
                tr("settings.momentum"),
                float(base.training.momentum),
                step=0.05,
                **bounds("training.momentum"),
            )
            config = dataclasses.replace(config, training=dataclasses.replace(config.training, momentum=float(momentum)))
    if SWARM_METHOD in chosen:
        with st.sidebar.expander(tr("beyond.swarm"), expanded=not compare):
            swarm = SwarmSettings(
                particles=int(
                    widget(
                        KEY,
                        "particles",
                        st.number_input,
                        tr("beyond.particles"),
                        base.swarm.particles,
                        step=50,
                        **bounds("swarm.particles", int),
                    )
                ),
                inertia=float(
                    widget(
                        KEY,
                        "inertia",
                        st.number_input,
                        tr("beyond.inertia"),
                        base.swarm.inertia,
                        step=0.01,
                        format="%.3f",
                        **bounds("swarm.inertia"),
                    )
                ),
                cognitive=float(
                    widget(
                        KEY,
                        "cognitive",
                        st.number_input,
                        tr("beyond.cognitive"),
                        base.swarm.cognitive,
                        step=0.01,
                        format="%.3f",
                        **bounds("swarm.cognitive"),
                    )
                ),
                social=float(
                    widget(
                        KEY,
                        "social",
                        st.number_input,
                        tr("beyond.social"),
                        base.swarm.social,
                        step=0.01,
                        format="%.3f",
                        **bounds("swarm.social"),
                    )
                ),
            )
            config = dataclasses.replace(config, swarm=swarm)
    return config


def page_settings(base: BeyondConfig, compare: bool) -> list[BeyondConfig] | None:
    """One config per method to run (the same target, network and seed); None when invalid."""
    try:
        st.sidebar.markdown(f"**{tr('settings.title')}**")
        if compare:
            chosen = widget(
                KEY,
                "optimizers",
                st.sidebar.multiselect,
                tr("beyond.optimizers"),
                list(COMPARE_DEFAULT),
                options=algorithms(),
                format_func=translated("beyond.method"),
            )
            if len(chosen) < 2:
                raise SettingError(tr("beyond.compare_too_few"))
        else:
            chosen = [
                widget(
                    KEY,
                    "optimizer",
                    st.sidebar.selectbox,
                    tr("beyond.optimizer"),
                    base.algorithm,
                    options=algorithms(),
                    format_func=translated("beyond.method"),
                )
            ]
        # the Theory's switch before the method's settings: its gradient-descent reference has a learning rate
        theory = theory_setting(base.theory, KEY) if not compare else "none"
        config = optimizer_settings(base, chosen, compare, theory)
        config = dataclasses.replace(
            config,
            seed=seed_setting(base.seed, KEY),
            grid=grid_settings(base.grid, KEY),
            spectrum=spectrum_settings(base.spectrum, KEY),
            theory=theory,
            target=target_designer(base.target, KEY),
        )
        config = peak_selector(config, KEY)
        validate(config)
    except (SettingError, ConfigError) as error:
        show_invalid_settings(error)
        return None
    if compare:
        st.caption(tr("beyond.compare_note"))
        return [dataclasses.replace(config, method=algorithm, max_iterations=None) for algorithm in chosen]
    return [config]


def render_run(snapshot: Snapshot, config: BeyondConfig) -> None:
    summary = summarize(config, snapshot)
    st.caption(
        " · ".join(
            [
                tr("beyond.live_evaluations", evaluations=summary["function_evaluations"]),
                tr("beyond.parameters", p=summary["parameter_count"]),
            ]
        )
    )

    def draw(shown: Snapshot, cursor: int | None) -> None:
        builders = chart_builders(config, shown, lang(), **view_options(), cursor=cursor)

        def show(name: str) -> None:
            replayed = cursor if name in ("output", "spectrum", "heatmap") else None
            live_chart(f"{KEY}.{name}", (*chart_context(config), replayed), shown.version, builders[name], charts_on_page=len(builders))

        spectral_layout(show, shown.traces["delta_f"], summary)
        if "theory" in builders:
            note = None if config.method == GRADIENT_DESCENT else tr("theory.nongradient", method=method_name(config.algorithm))
            theory_layout(show, summary, config.training.lr, note)

    replay_view(BEYOND_GD, snapshot, config, output_frame, "history_steps", draw)
    st.markdown(f"**{tr('beyond.work')}**")
    result_table(work_table({method_name(config.algorithm): (summary, snapshot)}, lang()))
    if summary["optimizer_message"]:
        reason = "beyond.stopped_early" if snapshot.step < summary["max_iterations"] else "beyond.stopped_at_cap"
        st.caption(tr(reason, iterations=snapshot.step, message=summary["optimizer_message"]))


def render_comparison(runs: list[tuple[BeyondConfig, Snapshot]]) -> None:
    """Each method's ΔF heatmap and output side by side; once no run advances, a replay moves them
    all to the iteration chosen."""
    if not runs:
        return
    st.subheader(tr("beyond.compare_title"))

    def draw(shown: list[tuple[BeyondConfig, Snapshot, int | None]]) -> None:
        for index, (column, (config, snapshot, cursor)) in enumerate(zip(st.columns(len(shown)), shown, strict=True)):
            with column:
                context = (*chart_context(config), cursor)
                live_chart(
                    f"{KEY}.compare.{index}",
                    context,
                    snapshot.version,
                    lambda config=config, snapshot=snapshot, cursor=cursor: heatmap_figure(
                        config, snapshot, lang(), **view_options(), cursor=cursor
                    ),
                    charts_on_page=2 * len(shown),
                )
                views = snapshot.views
                live_chart(
                    f"{KEY}.compare.output.{index}",
                    context,
                    snapshot.version,
                    lambda views=views, config=config: output_chart(
                        views["x_plot"], views["target_plot"], views["output_plot"], lang(), title=method_name(config.algorithm)
                    ),
                    charts_on_page=2 * len(shown),
                )
        st.caption(tr("view.heatmap_help"))

    group_replay_view(BEYOND_GD, runs, output_frame, "history_steps", draw)
    st.markdown(f"**{tr('view.convergence')}**")
    result_table(work_table({method_name(config.algorithm): (summarize(config, snapshot), snapshot) for config, snapshot in runs}, lang()))


st.title(tr(BEYOND_GD.title_key))
st.markdown(tr("beyond-gd.intro"))
st.info(tr("beyond-gd.sources"))
preset = preset_base(BEYOND_GD, KEY)
compare_mode = (
    widget(
        KEY,
        "mode",
        st.sidebar.radio,
        tr("beyond.mode"),
        "single",
        options=["single", "compare"],
        format_func=translated("beyond.mode"),
        horizontal=True,
    )
    == "compare"
)
live = st.container()  # run controls and live views on top, as on the 1-D pages; the target designer below
with settings_area():
    configs = page_settings(preset, compare_mode)
with live:
    heatmap_options(KEY)
    if compare_mode:
        run_group_panel(BEYOND_GD, configs, render_comparison, describe=lambda config: method_name(config.algorithm))
    else:
        run_panel(BEYOND_GD, configs[0] if configs else None, render_run)
        job = current_job(BEYOND_GD)
        shown = job.config if job is not None else configs[0] if configs else None
        if shown is not None and shown.theory == "ntk":
            gradient_descent_rerun(BEYOND_GD, gradient_descent_reference(shown, method=GRADIENT_DESCENT), x_title=tr("beyond.iteration"))
