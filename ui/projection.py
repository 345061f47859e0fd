"""Fig 1.10's page, section by section: the projection's settings drawn from their declarations,
the label spectrum before any training, the heatmap's rows (any peak added or dropped, kept in a
link), and the run's charts."""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st

from fpengine.highdim import charts
from fpengine.highdim.datasets import DATASET_CLASSES, DatasetUnavailable, is_cached
from fpengine.highdim.projection import PROJECTION, heatmap, label_spectrum, noisy_frequencies, spectrum_frame
from fpengine.highdim.settings import ProjectionConfig, ProjectionSpectrumConfig
from fpengine.highdim.views import ProjectionViews as V
from fpengine.i18n import explain, t
from fpengine.settings.schema import rule_of

from . import links
from .common import classroom_mode, lang, language_safe_widget, live_chart, plain, set_widget_value, show_chart, tr
from .controls import preset_base
from .fields import Field, field, linked, setting_widget, settings_or_none, with_values
from .highdim import classification_settings, dataset_notices, download_in_progress
from .layout import projector_first
from .views import convergence_table, replay_view

KEY = PROJECTION.name
ROWS = f"{KEY}.rows"
"""The heatmap rows, as frequencies written as the heatmap labels them (``?rows=0.0125,0.05``);
None: the run's tracked frequencies. A new run starts from them where it has those peaks."""
LINKED_ROWS = f"{KEY}.rows.linked"
"""Set while a link's rows wait for a run: whoever shares a link means the run its visitor starts."""
IGNORED_ROWS = f"{KEY}.rows.ignored"

COMPONENT = Field("component", "projection.component", help="projection.component_help")
N_FREQUENCIES = Field("n_frequencies", "projection.n_frequencies", step=10)
K_MAX = Field("k_max", "projection.k_max", format="%.4f", step=0.05)
MAX_PEAKS = Field("max_peaks", "projection.max_peaks", step=1)
FREQUENCIES = Field("frequencies", "projection.frequencies", help="projection.frequencies_help")
EPSILON = Field("epsilon", "settings.epsilon", step=0.01)


def component_label(component: str | int, dataset: str, language: str) -> str:
    if component == "norm":
        return t("projection.component.norm", language)
    return t("projection.component.class", language, c=component, name=DATASET_CLASSES[dataset][int(component)])


def spectrum_settings(base: ProjectionSpectrumConfig, dataset: str) -> ProjectionSpectrumConfig:
    classes = rule_of(type(base), "component").rule
    with st.sidebar.expander(tr("projection.settings"), expanded=True):
        component = field(
            KEY,
            base,
            COMPONENT,
            default="norm" if base.component is None else base.component,
            options=["norm", *range(int(classes.low), int(classes.high) + 1)],
            # in this run's language: a format function may be called after the script (ui.common.translated)
            format_func=functools.partial(component_label, dataset=dataset, language=lang()),
        )
        values = {"n_frequencies": field(KEY, base, N_FREQUENCIES)}
        automatic = setting_widget(
            KEY, "auto_range", st.checkbox, tr("projection.auto_range"), base.k_max is None, help=tr("projection.auto_range_help")
        )
        top = field(KEY, base, K_MAX, default=float(base.k_max or 0.5), disabled=automatic)
        values.update({spec.path: field(KEY, base, spec) for spec in (MAX_PEAKS, FREQUENCIES, EPSILON)})
    return with_values(base, {**values, "component": None if component == "norm" else int(component), "k_max": None if automatic else top})


def projection_settings() -> ProjectionConfig | None:
    """The page's config from its widgets; None, with the reason shown, while a setting is invalid."""
    base: ProjectionConfig = preset_base(PROJECTION, KEY)

    def build() -> ProjectionConfig:
        st.sidebar.markdown(f"**{tr('settings.title')}**")
        config = classification_settings(base, KEY)
        return with_values(config, {"spectrum": spectrum_settings(base.spectrum, config.dataset)})

    config = settings_or_none(build)
    if config is not None:
        dataset_notices(config, noisy_datasets=("digits",))
    return config


def view_settings() -> float:
    """The colour scale's top: the chapter's 0.5, or 1 (a shared link sets it too)."""
    chapter = linked(
        f"{KEY}.chapter_range", "chapter_range", st.toggle, tr("projection.chapter_range"), True, help=tr("projection.chapter_range_help")
    )
    return 0.5 if chapter else 1.0


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
    frequencies = np.asarray(views[V.frequencies])
    candidates = [int(k) for k in np.union1d(views[V.peaks], views[V.selected])]
    automatic = [int(k) for k in views[V.selected]]
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
        language_safe_widget(
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


def render(snapshot, config: ProjectionConfig, log_epochs: bool, scheme: str, vmax: float) -> None:
    if download_in_progress(snapshot):
        return
    # in classroom mode the heatmap comes first, the choice of its rows after the views
    views_area, rows_area = projector_first()
    with rows_area:
        rows = chosen_rows(snapshot, config)
    context = (id(config), lang(), log_epochs, scheme, vmax, tuple(rows.tolist()))

    def show(slot: str, build, replayed: int | None = None) -> None:
        live_chart(f"{KEY}.{slot}", (*context, replayed), snapshot.version, build, charts_on_page=4)

    def draw(shown, cursor: int | None) -> None:
        """Spectrum | accuracy, then the heatmap; in classroom mode the heatmap first."""
        views = shown.views

        def rows_heatmap() -> None:
            if len(rows):
                show(
                    "heatmap",
                    lambda: heatmap(config, snapshot, rows, lang(), log_epochs=log_epochs, scheme=scheme, vmax=vmax, cursor=cursor),
                    cursor,
                )

        if classroom_mode():
            rows_heatmap()
        left, right = st.columns(2)
        with left:
            show(
                "spectrum",
                lambda: charts.spectrum_chart(
                    views[V.frequencies], views[V.label_spectrum], views[V.output_spectrum], views[V.selected], views[V.unreliable], lang()
                ),
                cursor,
            )
        with right:
            show("accuracy", lambda: charts.accuracy_chart(snapshot, lang()))
        if not classroom_mode():
            rows_heatmap()

    with views_area:
        replay_view(PROJECTION, snapshot, config, spectrum_frame, draw)
    views = snapshot.views
    if len(rows) == 0:
        st.info(tr("projection.no_rows"))
    else:
        st.caption(tr("projection.heatmap_help"))
        noisy = noisy_frequencies(views[V.frequencies], views[V.unreliable], rows)
        if noisy:
            st.warning(tr("projection.noisy_rows", frequencies=", ".join(f"{k:.4g}" for k in noisy)))
    left, right = st.columns(2)
    with left:
        show("loss", lambda: charts.loss_chart(snapshot, lang()))
    with right:
        convergence_table(snapshot.traces["delta_f"], PROJECTION.summarize(config, snapshot))
