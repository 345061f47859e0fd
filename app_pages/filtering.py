"""Fig 1.12 · the filtering method: widgets → FilteringConfig → run engine → charts; plus a
side-by-side comparison of DNN, CNN and VGG16."""

import dataclasses

import pandas as pd
import streamlit as st

from fpengine.highdim import charts
from fpengine.highdim.filtering import FILTERING, summarize
from fpengine.highdim.gaussian_split import CHAPTER_DELTAS, NOTEBOOK_DELTAS, delta_warnings
from fpengine.highdim.settings import FilteringConfig
from fpengine.replay import step_frame
from fpengine.settings.schema import ConfigError, rule_of, validate
from ui.common import job_manager, lang, live_chart, result_table, show_invalid_settings, tr, translated
from ui.controls import SettingError, bounds, choices, linked, number_list, parse_number_list, preset_base
from ui.controls import widget as setting
from ui.highdim import classification_settings, dataset_notices, download_in_progress, offline_hint
from ui.run_panel import run_group_panel, run_panel
from ui.views import group_replay_view, heatmap_options, replay_view

KEY = FILTERING.name
DELTA_MODES = ("scaled", "chapter", "notebook", "custom")


def delta_settings(base: FilteringConfig) -> dict:
    with st.sidebar.expander(tr("filtering.settings"), expanded=True):
        mode = setting(
            KEY,
            "delta_mode",
            st.radio,
            tr("filtering.delta_mode"),
            "custom" if base.deltas else "scaled",
            options=list(DELTA_MODES),
            format_func=translated("filtering.delta_mode"),
            help=tr("filtering.delta_help"),
        )
        multiples_text = setting(
            KEY,
            "multiples",
            st.text_input,
            tr("filtering.multiples"),
            ",".join(f"{m:g}" for m in base.delta_multiples),
            accepts=number_list(float),
            disabled=mode != "scaled",
        )
        custom_text = setting(
            KEY,
            "custom_deltas",
            st.text_input,
            tr("filtering.custom_deltas"),
            ",".join(f"{d:g}" for d in base.deltas or CHAPTER_DELTAS),
            accepts=number_list(float),
            disabled=mode != "custom",
        )
        epsilon = setting(
            KEY,
            "epsilon",
            st.number_input,
            tr("settings.epsilon"),
            float(base.epsilon),
            **bounds(FilteringConfig, "epsilon"),
            step=0.01,
            help=tr("filtering.epsilon_help"),
        )
    deltas = {
        "scaled": (),
        "chapter": CHAPTER_DELTAS,
        "notebook": NOTEBOOK_DELTAS,
        "custom": parse_number_list(custom_text, tr("filtering.custom_deltas"), float) if mode == "custom" else (),
    }[mode]
    multiples = parse_number_list(multiples_text, tr("filtering.multiples"), float) if mode == "scaled" else base.delta_multiples
    return {"deltas": tuple(deltas), "delta_multiples": multiples, "epsilon": float(epsilon)}


def filtering_settings() -> FilteringConfig | None:
    base: FilteringConfig = preset_base(FILTERING, KEY)
    try:
        st.sidebar.markdown(f"**{tr('settings.title')}**")
        shared = classification_settings(base, KEY)
        config = dataclasses.replace(base, **shared, **delta_settings(base))
        validate(config)
    except (SettingError, ConfigError) as error:
        show_invalid_settings(error)
        return None
    dataset_notices(config)
    return config


def view_options() -> tuple[bool, str]:
    return bool(st.session_state.get(f"{KEY}.log_steps", False)), st.session_state.get(f"{KEY}.scheme", "redblue")


def warn_about_deltas(snapshot) -> None:
    scale = float(snapshot.views["median_nn_distance"])
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


def render(snapshot, config: FilteringConfig) -> None:
    if download_in_progress(snapshot):
        return
    log_epochs, scheme = view_options()
    context = (id(config), lang(), log_epochs, scheme)
    deltas = len(snapshot.traces["e_low"].values)

    def show(slot: str, build, replayed: int | None = None) -> None:
        live_chart(f"{KEY}.{slot}", (*context, replayed), snapshot.version, build, charts_on_page=3 + deltas)

    st.caption(tr("filtering.scale", scale=f"{float(snapshot.views['median_nn_distance']):.3g}"))
    warn_about_deltas(snapshot)
    left, right = st.columns(2)
    with left:
        show("bands", lambda: charts.band_curves(snapshot, lang()))
    with right:
        show("accuracy", lambda: charts.accuracy_chart(snapshot, lang()))

    def draw(shown, cursor: int | None) -> None:
        for index in range(deltas):
            show(
                f"heatmap{index}",
                lambda index=index: charts.band_heatmap(
                    shown, index, config.batches_per_epoch, lang(), scheme=scheme, log_epochs=log_epochs, cursor=cursor
                ),
                cursor,
            )

    replay_view(FILTERING, snapshot, config, step_frame, draw)
    st.caption(tr("filtering.heatmap_help"))
    left, right = st.columns(2)
    with left:
        show("loss", lambda: charts.loss_chart(snapshot, lang()))
    with right:
        delta_table(snapshot, config)


def render_comparison(runs) -> None:
    """The architectures side by side: the heatmap of the chosen δ and the accuracies of each run;
    once none advances, one replay moves every heatmap's cursor."""
    log_epochs, scheme = view_options()
    ready = [(config, snapshot) for config, snapshot in runs if not download_in_progress(snapshot)]

    def draw(shown) -> None:
        for column, (config, snapshot, cursor) in zip(st.columns(max(len(shown), 1)), shown, strict=False):
            with column:
                st.markdown(f"**{describe(config)}**")
                deltas = snapshot.traces["e_low"].values
                index = min(int(st.session_state.get(f"{KEY}.compare_delta", 0)), len(deltas) - 1)
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


st.title(tr(FILTERING.title_key))
st.markdown(tr("filtering.intro"))
filtering_config = filtering_settings()
heatmap_options(KEY)
single, compare = st.tabs([tr("highdim.tab_single"), tr("highdim.tab_compare")])
with single:
    run_panel(FILTERING, filtering_config, render)
    offline_hint(FILTERING)
with compare:
    st.markdown(tr("filtering.compare_intro"))
    st.caption(tr("highdim.compare_idle", limit=job_manager().max_running))
    linked(
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
    run_group_panel(FILTERING, comparison_configs(filtering_config), render_comparison, describe)
