"""Fig 1.10 · the projection method: widgets → ProjectionConfig → run engine → charts."""

import dataclasses
import functools

import numpy as np
import streamlit as st

from fpengine.highdim import charts
from fpengine.highdim.datasets import DATASET_CLASSES, DatasetUnavailable, is_cached
from fpengine.highdim.projection import PROJECTION, heatmap, label_spectrum, noisy_frequencies, spectrum_frame
from fpengine.highdim.settings import ProjectionConfig, ProjectionSpectrumConfig
from fpengine.i18n import explain, t
from fpengine.settings.schema import ConfigError, rule_of, validate
from ui import links
from ui.common import lang, live_chart, plain, set_widget_value, show_chart, show_invalid_settings, tr, widget
from ui.controls import SettingError, bounds, linked, number_list, parse_number_list, preset_base
from ui.controls import widget as setting
from ui.highdim import classification_settings, dataset_notices, download_in_progress, offline_hint
from ui.run_panel import run_panel
from ui.views import convergence_table, heatmap_options, replay_view

KEY = PROJECTION.name


def component_label(component: str | int, dataset: str, language: str) -> str:
    if component == "norm":
        return t("projection.component.norm", language)
    return t("projection.component.class", language, c=component, name=DATASET_CLASSES[dataset][int(component)])


def spectrum_settings(base: ProjectionSpectrumConfig, dataset: str) -> ProjectionSpectrumConfig:
    kind = type(base)
    classes = rule_of(kind, "component").rule
    k_max = rule_of(kind, "k_max").rule
    with st.sidebar.expander(tr("projection.settings"), expanded=True):
        component = setting(
            KEY,
            "component",
            st.selectbox,
            tr("projection.component"),
            "norm" if base.component is None else base.component,
            options=["norm", *range(int(classes.low), int(classes.high) + 1)],
            # in this run's language: a format function may be called after the script (ui.common.translated)
            format_func=functools.partial(component_label, dataset=dataset, language=lang()),
            help=tr("projection.component_help"),
        )
        n_frequencies = setting(
            KEY,
            "n_frequencies",
            st.number_input,
            tr("projection.n_frequencies"),
            int(base.n_frequencies),
            **bounds(kind, "n_frequencies", int),
            step=10,
        )
        automatic = setting(
            KEY, "auto_range", st.checkbox, tr("projection.auto_range"), base.k_max is None, help=tr("projection.auto_range_help")
        )
        top = setting(
            KEY,
            "k_max",
            st.number_input,
            tr("projection.k_max"),
            float(base.k_max or 0.5),
            min_value=float(k_max.low),
            max_value=float(k_max.high),
            format="%.4f",
            step=0.05,
            disabled=automatic,
        )
        max_peaks = setting(
            KEY, "max_peaks", st.number_input, tr("projection.max_peaks"), int(base.max_peaks), **bounds(kind, "max_peaks", int), step=1
        )
        frequencies_text = setting(
            KEY,
            "frequencies",
            st.text_input,
            tr("projection.frequencies"),
            ",".join(f"{k:g}" for k in base.frequencies),
            accepts=number_list(float, allow_empty=True),
            help=tr("projection.frequencies_help"),
        )
        epsilon = setting(
            KEY, "epsilon", st.number_input, tr("settings.epsilon"), float(base.epsilon), **bounds(kind, "epsilon"), step=0.01
        )
    return dataclasses.replace(
        base,
        component=None if component == "norm" else int(component),
        n_frequencies=int(n_frequencies),
        k_max=None if automatic else float(top),
        max_peaks=int(max_peaks),
        frequencies=parse_number_list(frequencies_text, tr("projection.frequencies"), float, allow_empty=True),
        epsilon=float(epsilon),
    )


def projection_settings() -> ProjectionConfig | None:
    base: ProjectionConfig = preset_base(PROJECTION, KEY)
    try:
        st.sidebar.markdown(f"**{tr('settings.title')}**")
        shared = classification_settings(base, KEY)
        config = dataclasses.replace(base, **shared, spectrum=spectrum_settings(base.spectrum, shared["dataset"]))
        validate(config)
    except (SettingError, ConfigError) as error:
        show_invalid_settings(error)
        return None
    dataset_notices(config, noisy_datasets=("digits",))
    return config


@st.cache_data(max_entries=8, show_spinner=False)
def cached_label_spectrum(config: ProjectionConfig):
    return label_spectrum(config)


def label_preview(config: ProjectionConfig) -> None:
    """The label spectrum the run will track, before any training (engine-computed, cached)."""
    if not is_cached(config.dataset):
        return
    try:
        spectrum = cached_label_spectrum(config)
    except (DatasetUnavailable, ValueError) as error:
        st.error(tr("projection.preview_failed", detail=plain(explain(error, lang()))))
        return
    with st.expander(tr("projection.preview"), expanded=False):
        show_chart(charts.spectrum_chart(spectrum.frequencies, spectrum.magnitude, None, spectrum.selected, spectrum.unreliable, lang()))
    noisy = noisy_frequencies(spectrum.frequencies, spectrum.unreliable, spectrum.selected)
    if noisy:
        st.warning(tr("projection.noisy_peaks", frequencies=", ".join(f"{k:.4g}" for k in noisy)))


# (comments, not docstrings, in a page script: Streamlit's magic writes a floating string on the page)
# The heatmap rows, as frequencies written as the heatmap labels them (?rows=0.0125,0.05); None: the
# run's tracked frequencies. A new run starts from them where it has those peaks.
ROWS = f"{KEY}.rows"
# Set while a link's rows wait for a run: whoever shares a link means the run its visitor starts.
LINKED_ROWS = f"{KEY}.rows.linked"
IGNORED_ROWS = f"{KEY}.rows.ignored"


def row_text(frequency: float) -> str:
    return f"{frequency:.4g}"


def parse_rows(text: str) -> tuple[str, ...]:
    """A link's rows as it wrote them (to name the ones a run lacks); ValueError unless each is a frequency."""
    items = tuple(text.split(","))
    for item in items:
        links.parse_number(item, float, 0)
    return items


def linked_rows() -> None:
    """Read a link's rows on the page's first run; keep the rows in the address bar."""
    restored = links.restore("rows", parse_rows)
    if restored is not None:
        st.session_state[ROWS], st.session_state[LINKED_ROWS] = restored, True
    links.keep("rows", ",".join(st.session_state.get(ROWS) or ()), "")


def chosen_rows(snapshot, config: ProjectionConfig) -> np.ndarray:
    """The heatmap's rows: the run's tracked frequencies by default; any peak can be added or dropped."""
    views = snapshot.views
    frequencies = np.asarray(views["frequencies"])
    candidates = [int(k) for k in np.union1d(views["peaks"], views["selected"])]
    automatic = [int(k) for k in views["selected"]]
    name = f"{KEY}.rows.{len(frequencies)}.{frequencies[-1]:.6g}.{'-'.join(map(str, candidates))}"
    wanted = st.session_state.get(ROWS)
    linked = st.session_state.pop(LINKED_ROWS, False)
    if wanted and (linked or name not in st.session_state):
        by_text = {row_text(frequencies[k]): k for k in candidates}
        found = {text: by_text.get(row_text(float(text))) for text in wanted}
        set_widget_value(name, [k for k in found.values() if k is not None] or automatic)
        if linked:  # a frequency that is no peak of this run is named as the link's notice names what it ignores
            missing = [text for text, k in found.items() if k is None]
            st.session_state[IGNORED_ROWS] = (name, f"rows={','.join(missing)}") if missing else None
    chosen = sorted(
        widget(
            name,
            st.multiselect,
            tr("projection.rows"),
            automatic,
            options=candidates,
            format_func=lambda k: f"k = {frequencies[k]:.4g}",
            help=tr("projection.rows_help"),
        )
    )
    ignored = st.session_state.get(IGNORED_ROWS)
    if ignored is not None and ignored[0] == name:
        st.warning(links.ignored_notice([ignored[1]]), icon="🔗")
    st.session_state[ROWS] = None if chosen == sorted(automatic) else tuple(row_text(frequencies[k]) for k in chosen)
    links.follow("rows", ",".join(st.session_state[ROWS] or ()), "")
    return np.array(chosen, dtype=int)


def render(snapshot, config: ProjectionConfig) -> None:
    if download_in_progress(snapshot):
        return
    log_epochs, scheme = bool(st.session_state.get(f"{KEY}.log_steps", True)), st.session_state.get(f"{KEY}.scheme", "redblue")
    vmax = 0.5 if st.session_state.get(f"{KEY}.chapter_range", True) else 1.0
    rows = chosen_rows(snapshot, config)
    context = (id(config), lang(), log_epochs, scheme, vmax, tuple(rows.tolist()))

    def show(slot: str, build, replayed: int | None = None) -> None:
        live_chart(f"{KEY}.{slot}", (*context, replayed), snapshot.version, build, charts_on_page=4)

    def draw(shown, cursor: int | None) -> None:
        views = shown.views
        left, right = st.columns(2)
        with left:
            show(
                "spectrum",
                lambda: charts.spectrum_chart(
                    views["frequencies"], views["label_spectrum"], views["output_spectrum"], views["selected"], views["unreliable"], lang()
                ),
                cursor,
            )
        with right:
            show("accuracy", lambda: charts.accuracy_chart(snapshot, lang()))
        if len(rows):
            show(
                "heatmap",
                lambda: heatmap(config, snapshot, rows, lang(), log_epochs=log_epochs, scheme=scheme, vmax=vmax, cursor=cursor),
                cursor,
            )

    replay_view(PROJECTION, snapshot, config, spectrum_frame, draw)
    views = snapshot.views
    if len(rows) == 0:
        st.info(tr("projection.no_rows"))
    else:
        st.caption(tr("projection.heatmap_help"))
        noisy = noisy_frequencies(views["frequencies"], views["unreliable"], rows)
        if noisy:
            st.warning(tr("projection.noisy_rows", frequencies=", ".join(f"{k:.4g}" for k in noisy)))
    left, right = st.columns(2)
    with left:
        show("loss", lambda: charts.loss_chart(snapshot, lang()))
    with right:
        convergence_table(snapshot.traces["delta_f"], PROJECTION.summarize(config, snapshot))


st.title(tr(PROJECTION.title_key))
st.markdown(tr("projection.intro"))
projection_config = projection_settings()
if projection_config is not None:
    label_preview(projection_config)
heatmap_options(KEY, log_steps=True)  # the chapter draws Fig 1.10 on a log epoch axis
linked_rows()
linked(f"{KEY}.chapter_range", "chapter_range", st.toggle, tr("projection.chapter_range"), True, help=tr("projection.chapter_range_help"))
run_panel(PROJECTION, projection_config, render)
offline_hint(PROJECTION)
