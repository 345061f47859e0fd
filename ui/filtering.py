"""Fig 1.12's page, section by section: how δ is chosen (scaled to the data, the chapter's, the
notebook's, or typed), the settings drawn from their declarations, one run's curves, heatmaps and
table, and the three architectures compared."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from fpengine.highdim import charts
from fpengine.highdim.filtering import FILTERING, summarize
from fpengine.highdim.gaussian_split import CHAPTER_DELTAS, NOTEBOOK_DELTAS, delta_warnings
from fpengine.highdim.settings import FilteringConfig
from fpengine.highdim.views import FilteringViews as V
from fpengine.replay import step_frame
from fpengine.settings.schema import rule_of

from .common import classroom_mode, job_manager, lang, live_chart, result_table, tr
from .controls import preset_base
from .fields import Field, SettingError, choices, field, linked, mode_radio, settings_or_none, with_values
from .highdim import classification_settings, dataset_notices, download_in_progress
from .views import group_replay_view, replay_view

KEY = FILTERING.name
TAB_KEY = f"{KEY}.tab"
"""The page's tab on show (its label): a test or a link chooses the comparison by it."""
DELTA_MODES = ("scaled", "chapter", "notebook", "custom")
"""Where δ comes from: multiples of the data's median nearest-neighbour distance, the chapter's
list, the authors' notebook's, or the visitor's own."""
FIXED_DELTAS = {"chapter": CHAPTER_DELTAS, "notebook": NOTEBOOK_DELTAS}

MULTIPLES = Field("delta_multiples", "filtering.multiples", param="multiples")
CUSTOM_DELTAS = Field("deltas", "filtering.custom_deltas", param="custom_deltas")
EPSILON = Field("epsilon", "settings.epsilon", help="filtering.epsilon_help", step=0.01)


def delta_settings(base: FilteringConfig) -> dict:
    """The δ mode and its list, and ε: the config's ``deltas`` (empty: scaled), ``delta_multiples``, ``epsilon``."""
    with st.sidebar.expander(tr("filtering.settings"), expanded=True):
        mode = mode_radio(
            KEY,
            "delta_mode",
            "filtering.delta_mode",
            "custom" if base.deltas else "scaled",
            list(DELTA_MODES),
            help=tr("filtering.delta_help"),
        )
        multiples = field(KEY, base, MULTIPLES, disabled=mode != "scaled")
        custom = field(KEY, base, CUSTOM_DELTAS, default=base.deltas or CHAPTER_DELTAS, disabled=mode != "custom")
        epsilon = field(KEY, base, EPSILON)
    if mode == "custom" and not custom:  # an empty list would silently mean "scaled"
        raise SettingError(f"{tr('filtering.custom_deltas')}: ''")
    deltas = custom if mode == "custom" else FIXED_DELTAS.get(mode, ())
    return {"deltas": tuple(deltas), "delta_multiples": multiples if mode == "scaled" else base.delta_multiples, "epsilon": epsilon}


def filtering_settings() -> FilteringConfig | None:
    """The page's config from its widgets; None, with the reason shown, while a setting is invalid."""
    base: FilteringConfig = preset_base(FILTERING, KEY)

    def build() -> FilteringConfig:
        st.sidebar.markdown(f"**{tr('settings.title')}**")
        return with_values(classification_settings(base, KEY), delta_settings(base))

    config = settings_or_none(build)
    if config is not None:
        dataset_notices(config)
    return config


def compare_delta() -> int:
    """Which δ's heatmap the comparison shows (a shared link sets it too)."""
    return linked(
        f"{KEY}.compare_delta",
        "compare_delta",
        st.number_input,
        tr("filtering.compare_delta"),
        0,
        min_value=0,
        max_value=rule_of(FilteringConfig, "deltas").max_length - 1,
        step=1,
        help=tr("filtering.compare_delta_help"),
    )


def comparison_intro() -> None:
    st.markdown(tr("filtering.compare_intro"))
    st.caption(tr("highdim.compare_idle", limit=job_manager().max_running))


def warn_about_deltas(snapshot) -> None:
    scale = float(snapshot.views[V.median_nn_distance])
    for delta, kind in delta_warnings(snapshot.traces["e_low"].values, scale):
        st.warning(tr(f"filtering.warn_{kind}", delta=f"{delta:.3g}", scale=f"{scale:.3g}"))


def delta_table(snapshot, config: FilteringConfig) -> None:
    rows = summarize(config, snapshot)["deltas"]
    never = tr("view.never")
    st.markdown(f"**{tr('filtering.table_title', epsilon=config.epsilon)}**")
    result_table(
        pd.DataFrame(
            {
                "δ": [f"{row['delta']:.3g}" for row in rows],
                tr("filtering.low_epoch"): [never if row["low_epoch"] is None else f"{row['low_epoch']:g}" for row in rows],
                tr("filtering.high_epoch"): [never if row["high_epoch"] is None else f"{row['high_epoch']:g}" for row in rows],
                "e_low": [f"{row['final_e_low']:.3f}" for row in rows],
                "e_high": [f"{row['final_e_high']:.3f}" for row in rows],
            }
        )
    )


def render(snapshot, config: FilteringConfig, log_epochs: bool, scheme: str) -> None:
    if download_in_progress(snapshot):
        return
    context = (id(config), lang(), log_epochs, scheme)
    deltas = len(snapshot.traces["e_low"].values)

    def show(slot: str, build, replayed: int | None = None) -> None:
        live_chart(f"{KEY}.{slot}", (*context, replayed), snapshot.version, build, charts_on_page=3 + deltas)

    def scale_and_curves() -> None:
        st.caption(tr("filtering.scale", scale=f"{float(snapshot.views[V.median_nn_distance]):.3g}"))
        warn_about_deltas(snapshot)
        left, right = st.columns(2)
        with left:
            show("bands", lambda: charts.band_curves(snapshot, lang()))
        with right:
            show("accuracy", lambda: charts.accuracy_chart(snapshot, lang()))

    def draw(shown, cursor: int | None) -> None:
        """One heatmap per δ, one under the other; in classroom mode up to three side by side, first on the page."""
        columns = st.columns(min(deltas, 3)) if classroom_mode() and deltas else [st.container()]
        for index in range(deltas):
            with columns[index % len(columns)]:
                show(
                    f"heatmap{index}",
                    lambda index=index: charts.band_heatmap(
                        shown, index, config.batches_per_epoch, lang(), scheme=scheme, log_epochs=log_epochs, cursor=cursor
                    ),
                    cursor,
                )

    if not classroom_mode():
        scale_and_curves()
    replay_view(FILTERING, snapshot, config, step_frame, draw)
    st.caption(tr("filtering.heatmap_help"))
    if classroom_mode():
        scale_and_curves()
    left, right = st.columns(2)
    with left:
        show("loss", lambda: charts.loss_chart(snapshot, lang()))
    with right:
        delta_table(snapshot, config)


def render_comparison(runs, log_epochs: bool, scheme: str, chosen_delta: int) -> None:
    """The architectures side by side: the heatmap of the chosen δ and the accuracies of each run;
    once none advances, one replay moves every heatmap's cursor."""
    ready = [(config, snapshot) for config, snapshot in runs if not download_in_progress(snapshot)]

    def draw(shown) -> None:
        for column, (config, snapshot, cursor) in zip(st.columns(max(len(shown), 1)), shown, strict=False):
            with column:
                st.markdown(f"**{describe(config)}**")
                deltas = snapshot.traces["e_low"].values
                index = min(chosen_delta, len(deltas) - 1)
                live_chart(
                    f"{KEY}.compare.{config.network.model}",
                    (id(config), lang(), log_epochs, scheme, index, cursor),
                    snapshot.version,
                    lambda config=config, snapshot=snapshot, index=index, cursor=cursor: charts.band_heatmap(
                        snapshot, index, config.batches_per_epoch, lang(), scheme=scheme, log_epochs=log_epochs, width=260, cursor=cursor
                    ),
                    charts_on_page=len(shown),
                )
                metrics = snapshot.metrics
                st.caption(tr("filtering.accuracies", train=float(metrics["train_accuracy"][-1]), test=float(metrics["test_accuracy"][-1])))

    if ready:
        group_replay_view(FILTERING, ready, step_frame, draw)


def describe(config: FilteringConfig) -> str:
    return tr(f"highdim.model.{config.network.model}")


def comparison_configs(config: FilteringConfig | None) -> list[FilteringConfig] | None:
    if config is None:
        return None
    return [
        dataclasses.replace(config, network=dataclasses.replace(config.network, model=model))
        for model in choices(type(config.network), "model")
    ]
