"""Sec 1.6's page, section by section: the method (one, or several compared from the same initial
network), its settings drawn from their declarations, one run's views and the comparison's; and
what the Lab needs of the page (found through ``ui.pages``): a config as the page's link
parameters, and the links to the page's comparison of a sweep's cells that differ only in their method."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Collection
from urllib.parse import urlencode

import streamlit as st

from fpengine.beyond_gd.charts import chart_builders, heatmap_figure, work_table
from fpengine.beyond_gd.experiment import BEYOND_GD, summarize
from fpengine.beyond_gd.nongradient import SWARM_METHOD
from fpengine.beyond_gd.settings import GRADIENT_DESCENT, SWARM_WIDTH, BeyondConfig, slowness_warning
from fpengine.beyond_gd.views import BeyondViews as V
from fpengine.charts import output_chart
from fpengine.engine.runner import Snapshot
from fpengine.optimizers import GRADIENT_OPTIMIZERS
from fpengine.readout.views import output_frame
from fpengine.settings.config import to_dict
from fpengine.settings.schema import rule_of
from fpengine.sweep.background import LAB_MAX_CELLS
from fpengine.sweep.definition import Cell, SweepDefinition
from fpengine.sweep.library import cell_label, cell_run_id

from .common import lang, live_chart, result_table, tr, translated
from .controls import grid_settings, seed_setting, spectrum_settings
from .fields import Field, SettingError, field, setting_widget, settings_or_none, with_values
from .layout import projector_first
from .links import text_of
from .target_designer import peak_selector, readout_values, target_designer
from .views import group_replay_view, replay_view, spectral_layout, theory_layout, theory_setting

KEY = BEYOND_GD.name
COMPARE_DEFAULT = ("bfgs", "powell", "pso")
"""Compare mode's first choice: a quasi-Newton, a direction-set and a swarm method."""
MODES = ("single", "compare")

WIDTH = Field("network.widths", "beyond.width", help="beyond.width_help", step=5)
"""The hidden layer's width: one number (the page's widget is named per method: ``width.<method>``)."""
ACTIVATION = Field("network.activation", "settings.activation")
INIT_STD = Field("network.init_std", "beyond.init_std", step=0.05)
ITERATIONS = Field("iterations", "beyond.iterations", help="beyond.iterations_help", step=10)
"""The cap of the method chosen (``iterations.<method>``)."""
LR = Field("training.lr", "beyond.lr", format="%.1e", step=1e-3)
MOMENTUM = Field("training.momentum", "settings.momentum", step=0.05)
SWARM = tuple(Field(f"swarm.{name}", f"beyond.{name}", step=0.01, format="%.3f") for name in ("inertia", "cognitive", "social"))
PARTICLES = Field("swarm.particles", "beyond.particles", step=50)


def algorithms() -> list[str]:
    """What a run can be trained by: every method but gradient descent, then each gradient optimizer."""
    methods = [m for m in rule_of(BeyondConfig, "method").choices if m != GRADIENT_DESCENT]
    return [*methods, *rule_of(BeyondConfig, "training.optimizer").choices]


def method_name(algorithm: str) -> str:
    return tr(f"beyond.method.{algorithm}")


def describe(config: BeyondConfig) -> str:
    """A run of a comparison, by its method."""
    return method_name(config.algorithm)


def compare_mode() -> bool:
    """One method, or several side by side (the sidebar's switch)."""
    mode = setting_widget(
        KEY,
        "mode",
        st.sidebar.radio,
        tr("beyond.mode"),
        "single",
        options=list(MODES),
        format_func=translated("beyond.mode"),
        horizontal=True,
    )
    return mode == "compare"


def chosen_methods(base: BeyondConfig, compare: bool) -> list[str]:
    """The method of the run, or the methods compared (at least two: SettingError otherwise)."""
    options = {"options": algorithms(), "format_func": translated("beyond.method")}
    if not compare:
        return [setting_widget(KEY, "optimizer", st.sidebar.selectbox, tr("beyond.optimizer"), base.algorithm, **options)]
    chosen = setting_widget(KEY, "optimizers", st.sidebar.multiselect, tr("beyond.optimizers"), list(COMPARE_DEFAULT), **options)
    if len(chosen) < 2:
        raise SettingError(tr("beyond.compare_too_few"))
    return chosen


def method_settings(base: BeyondConfig, chosen: list[str], compare: bool, theory: str) -> BeyondConfig:
    """Network, iteration cap, gradient-descent and swarm widgets for the chosen method(s); the
    learning rate also for the Theory's gradient-descent reference (``theory`` ``ntk``)."""
    single = chosen[0]
    width = ("width.compare", SWARM_WIDTH) if compare else (f"width.{single}", dataclasses.replace(base, method=single).network_width)
    with st.sidebar.expander(tr("beyond.network"), expanded=True):
        values = {
            "method": single,
            "network.widths": (field(KEY, base, dataclasses.replace(WIDTH, param=width[0]), default=width[1]),),
            "network.activation": field(KEY, base, ACTIVATION),
            "network.init_std": field(KEY, base, INIT_STD),
        }
    config = with_values(base, values)
    st.sidebar.caption(tr("beyond.parameters", p=config.parameter_count))
    for algorithm in chosen:
        warning = slowness_warning(algorithm, config.parameter_count)
        if warning is not None:
            st.sidebar.warning(tr(warning[0], **warning[1]))
    values = {}
    with st.sidebar.expander(tr("settings.training"), expanded=True):
        if compare:
            st.caption(" · ".join(f"{method_name(a)}: {base.iterations.of(a):,}" for a in chosen))
        else:
            cap = dataclasses.replace(ITERATIONS, path=f"iterations.{single}", param=f"iterations.{single}")
            values["max_iterations"] = field(KEY, base, cap, default=base.iterations.of(single))
        if any(a in rule_of(BeyondConfig, "training.optimizer").choices for a in chosen) or theory == "ntk":
            values["training.lr"] = field(KEY, base, LR)
        if "momentum" in chosen:
            values["training.momentum"] = field(KEY, base, MOMENTUM)
    if SWARM_METHOD in chosen:
        with st.sidebar.expander(tr("beyond.swarm"), expanded=not compare):
            values.update({spec.path: field(KEY, base, spec) for spec in (PARTICLES, *SWARM)})
    return with_values(config, values)


def beyond_settings(base: BeyondConfig, compare: bool) -> list[BeyondConfig] | None:
    """One config per method to run (the same target, network and seed); None when invalid."""
    chosen: list[str] = []

    def build() -> BeyondConfig:
        st.sidebar.markdown(f"**{tr('settings.title')}**")
        chosen.extend(chosen_methods(base, compare))
        # the Theory's switch before the method's settings: its gradient-descent reference has a learning rate
        theory = theory_setting(base.theory, KEY) if not compare else "none"
        config = method_settings(base, chosen, compare, theory)
        config = dataclasses.replace(
            config,
            seed=seed_setting(base, KEY),
            grid=grid_settings(base.grid, KEY),
            spectrum=spectrum_settings(base.spectrum, KEY),
            theory=theory,
            target=target_designer(base.target, KEY),
        )
        return peak_selector(config, KEY)

    config = settings_or_none(build)
    if config is None:
        return None
    if compare:
        st.caption(tr("beyond.compare_note"))
        return comparison_configs(config, chosen)
    return [config]


def comparison_configs(config: BeyondConfig, methods: list[str]) -> list[BeyondConfig]:
    """The same target, network and seed trained by each method, each to its own iteration cap."""
    return [dataclasses.replace(config, method=algorithm, max_iterations=None) for algorithm in methods]


def render_run(snapshot: Snapshot, config: BeyondConfig, log_steps: bool, scheme: str) -> None:
    summary = summarize(config, snapshot)
    views, work = projector_first()  # on a projector the views first, the count of evaluations after
    work.caption(
        " · ".join(
            [
                tr("beyond.live_evaluations", evaluations=summary["function_evaluations"]),
                tr("beyond.parameters", p=summary["parameter_count"]),
            ]
        )
    )

    def draw(shown: Snapshot, cursor: int | None) -> None:
        builders = chart_builders(config, shown, lang(), log_steps=log_steps, scheme=scheme, cursor=cursor)

        def show(name: str) -> None:
            replayed = cursor if name in ("output", "spectrum", "heatmap") else None
            live_chart(
                f"{KEY}.{name}",
                (id(config), lang(), log_steps, scheme, replayed),
                shown.version,
                builders[name],
                charts_on_page=len(builders),
            )

        spectral_layout(show, shown.traces["delta_f"], summary)
        if "theory" in builders:
            note = None if config.method == GRADIENT_DESCENT else tr("theory.nongradient", method=method_name(config.algorithm))
            theory_layout(show, summary, config.training.lr, note)

    with views:
        replay_view(BEYOND_GD, snapshot, config, output_frame, draw)
    st.markdown(f"**{tr('beyond.work')}**")
    result_table(work_table({method_name(config.algorithm): (summary, snapshot)}, lang()))
    if summary["optimizer_message"]:
        reason = "beyond.stopped_early" if snapshot.step < summary["max_iterations"] else "beyond.stopped_at_cap"
        st.caption(tr(reason, iterations=snapshot.step, message=summary["optimizer_message"]))


def render_comparison(runs: list[tuple[BeyondConfig, Snapshot]], log_steps: bool, scheme: str) -> None:
    """Each method's ΔF heatmap and output side by side; once no run advances, a replay moves them
    all to the iteration chosen."""
    if not runs:
        return
    st.subheader(tr("beyond.compare_title"))

    def draw(shown: list[tuple[BeyondConfig, Snapshot, int | None]]) -> None:
        for index, (column, (config, snapshot, cursor)) in enumerate(zip(st.columns(len(shown)), shown, strict=True)):
            with column:
                context = (id(config), lang(), log_steps, scheme, cursor)
                live_chart(
                    f"{KEY}.compare.{index}",
                    context,
                    snapshot.version,
                    lambda config=config, snapshot=snapshot, cursor=cursor: heatmap_figure(
                        config, snapshot, lang(), log_steps=log_steps, scheme=scheme, cursor=cursor
                    ),
                    charts_on_page=2 * len(shown),
                )
                views = snapshot.views
                live_chart(
                    f"{KEY}.compare.output.{index}",
                    context,
                    snapshot.version,
                    lambda views=views, config=config: output_chart(
                        views[V.x_plot], views[V.target_plot], views[V.output_plot], lang(), title=method_name(config.algorithm)
                    ),
                    charts_on_page=2 * len(shown),
                )
        st.caption(tr("view.heatmap_help"))

    group_replay_view(BEYOND_GD, runs, output_frame, draw)
    st.markdown(f"**{tr('view.convergence')}**")
    result_table(work_table({method_name(config.algorithm): (summarize(config, snapshot), snapshot) for config, snapshot in runs}, lang()))


# --- what the Lab needs of the page ------------------------------------------------------------------

METHOD_KEYS = ("method", "optimizer", "training.optimizer")
"""The keys a Sec 1.6 sweep's grid may set the method by (``optimizer`` is its alias)."""


def link_values(config: BeyondConfig) -> dict[str, str]:
    """The page trains one method at a time (``optimizer``), with that method's width and iteration
    cap, and the learning rate, momentum and swarm only where the method (or the Theory's reference)
    uses them; the rest as on the 1-D pages."""
    data = to_dict(config)
    for name in ("method", "iterations", "max_iterations"):
        del data[name]
    del data["network"]["widths"], data["training"]["optimizer"]
    method = config.algorithm
    if method not in GRADIENT_OPTIMIZERS and config.theory != "ntk":
        del data["training"]["lr"]
    if method != "momentum":
        del data["training"]["momentum"]
    if method != SWARM_METHOD:
        del data["swarm"]
    return {
        "optimizer": method,
        f"width.{method}": text_of(config.network_width),
        f"iterations.{method}": text_of(config.iteration_cap),
        **readout_values(config, data),
    }


@functools.lru_cache(maxsize=2 * LAB_MAX_CELLS)
def _method_and_rest(definition_json: str, cell: Cell) -> tuple[str, str]:
    """A cell's settings but its method (as JSON), and its method; worked out once per cell."""
    config = SweepDefinition.from_json(json.loads(definition_json)).cell_config(cell)
    rest = to_dict(config)
    del rest["method"], rest["training"]["optimizer"]
    return json.dumps(rest, sort_keys=True), config.algorithm


def comparisons(definition: SweepDefinition, sweep_id: str, kept: Collection[str], language: str) -> list[tuple[str, str]]:
    """A sweep over the method: (label, address) of each set of ``kept`` cells (their runs are on
    disk) that differ only in their method, opening the page's comparison of their saved runs side
    by side (its ``mode``, ``optimizers`` and ``runs``), as a comparison started there shows them."""
    groups: dict[str, list[tuple[Cell, str]]] = {}
    definition_json = json.dumps(definition.to_json(), sort_keys=True)
    for cell in definition.cells():
        if cell.id in kept:
            rest, algorithm = _method_and_rest(definition_json, cell)
            groups.setdefault(rest, []).append((cell, algorithm))
    found = []
    for group in groups.values():
        if len(group) > 1:
            first, _ = group[0]
            shared = {key: value for key, value in first.settings.items() if key not in METHOD_KEYS}
            query = {
                "mode": "compare",
                "optimizers": ",".join(algorithm for _, algorithm in group),
                "runs": ",".join(cell_run_id(sweep_id, cell.id) for cell, _ in group),
                "lang": language,
            }
            found.append((cell_label(shared, first.seed, language), f"{definition.experiment}?{urlencode(query, safe=',')}"))
    return found
