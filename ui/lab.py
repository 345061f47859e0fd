"""The Lab page: build a sweep (a preset or a grid of your own), start it in the background, and watch
its cells, the fitted convergence law and every cell's ΔF heatmap fill in.

The sweep's id lives in the session and in the URL (``?sweep=ID``): a refresh, a visit to another page
or another browser reattaches to it; finished sweeps reopen from disk. Everything scientific is in
``fpengine.sweep`` (builder, background, library, estimate, figures); this module lays it out.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import streamlit as st

from fpengine.engine.experiment import Experiment
from fpengine.export import runs_root
from fpengine.i18n import explain, t
from fpengine.registry import get_experiment
from fpengine.retention import retention_limits
from fpengine.settings.config import ConfigError
from fpengine.settings.environment import MAX_THREADS_PER_CORE, cores, env_flag, env_number
from fpengine.sweep.background import LAB_MAX_CELLS, LOCAL_POOL, MAX_SWEEPS, BackgroundSweep, SweepManager, SweepProgress, SweepStatus
from fpengine.sweep.builder import (
    MAX_AXES,
    LabForm,
    check_values,
    source_axes,
    source_keys,
    source_seeds,
    source_steps,
    sources,
    value_text,
)
from fpengine.sweep.command import DEFAULT_SEEDS
from fpengine.sweep.definition import MAX_CELLS, MAX_SEEDS, Cell, SweepDefinition, SweepError
from fpengine.sweep.estimate import PROBE_SECONDS, estimated_seconds, known_rate, measured_rate
from fpengine.sweep.executors import default_workers, scheduler_address
from fpengine.sweep.figures import cell_heatmaps, convergence_chart, summary_line
from fpengine.sweep.library import (
    SavedSweep,
    SweepResults,
    cell_label,
    cell_links,
    cell_table,
    list_saved,
    open_saved,
    results_of,
    sweeps_root,
)
from fpengine.sweep.presets import SWEEP_PRESETS
from fpengine.sweep.results import zip_sweep

from . import pages
from .common import device_choice, format_duration, job_manager, lang, live_chart, plain, settings_area, tr, zip_download
from .controls import linked
from .layout import page_layout, projector_first, screen_height
from .run_panel import linked_id, visitor

SWEEP_KEY = "lab.sweep"
REFRESH_SECONDS = 1.0
RESULTS_REFRESH_SECONDS = 2.0
"""The results change only when a cell finishes (seconds apart); re-sending them costs the server."""
MAX_HEATMAPS = 48
CLASSROOM_LAW_HEIGHT = 230
"""The law chart's plot height on a projector: with its four lines of fit above it, below the run's controls, one 720 px screen."""
KEEP_FINISHED = 8


@st.cache_resource
def sweep_manager() -> SweepManager:
    """One per server process, sharing the run manager's slots, lease and retention. The cap on a
    sweep's cells is ``FPENGINE_MAX_SWEEP_CELLS`` (never above the engine's own)."""
    jobs = job_manager()
    return SweepManager(
        sweeps_root(),
        runs_root(),
        slots=jobs,
        max_cells=min(int(env_number("FPENGINE_MAX_SWEEP_CELLS", LAB_MAX_CELLS, minimum=1)), MAX_CELLS),
        workers=max(1, min(default_workers(), jobs.max_running)),
        scheduler=scheduler_address(None),
        lease_seconds=jobs.lease_seconds,
        keep_finished=KEEP_FINISHED,
        figures=env_flag("FPENGINE_SAVE_FIGURES", True),
        retention=retention_limits(),
        max_sweeps=int(env_number("FPENGINE_MAX_SWEEPS", MAX_SWEEPS, minimum=1, maximum=MAX_THREADS_PER_CORE * cores())),
    )


# --- the form --------------------------------------------------------------------------------------


def _source_label(current: str):
    """``format_func`` of the source choice, in the language of this run (AppTest calls it later)."""

    def label(source: str) -> str:
        if source in SWEEP_PRESETS:
            return t("lab.source.preset", current, name=source)
        return t("lab.source.experiment", current, title=t(get_experiment(source).title_key, current))

    return label


def sweep_form(manager: SweepManager, active: bool) -> SweepDefinition | None:
    """The sweep the form describes, with its size and time estimate; None (and why) when it cannot run.
    Every setting of the form is linked (``ui.controls.linked``): ``?source=…&setting1=…&values1=…``."""
    choices = sources()
    source = linked("lab.source", "source", st.selectbox, tr("lab.source"), "frequency", options=choices, format_func=_source_label(lang()))
    st.caption(tr(SWEEP_PRESETS[source].description_key) if source in SWEEP_PRESETS else tr("lab.source.own"))
    keys = ["", *source_keys(source)]
    none = tr("lab.no_setting")
    preset_axes = source_axes(source)
    axes = []
    for index in range(MAX_AXES):
        default_key, default_values = preset_axes[index] if index < len(preset_axes) else ("", "")
        left, right = st.columns([2, 3])
        with left:
            key = linked(
                f"lab.{source}.key{index}",
                f"setting{index + 1}",
                st.selectbox,
                tr("lab.setting", n=index + 1),
                default_key,
                options=keys,
                format_func=lambda k: k or none,
            )
        with right:
            values = (
                linked(
                    f"lab.{source}.{key}.values{index}",
                    f"values{index + 1}",
                    st.text_input,
                    tr("lab.values"),
                    default_values if key == default_key else value_text(source, key),
                    accepts=functools.partial(check_values, source, key),
                    help=tr("lab.values_help"),
                )
                if key
                else st.text_input(tr("lab.values"), "", disabled=True, key=f"lab.{source}.none{index}")
            )
        axes.append((key, values))
    left, right = st.columns(2)
    with left:
        seeds = linked(
            f"lab.{source}.seeds",
            "seeds",
            st.number_input,
            tr("lab.seeds"),
            source_seeds(source, DEFAULT_SEEDS),
            min_value=1,
            max_value=MAX_SEEDS,
            step=1,
        )
    default_steps = source_steps(source)
    with right:
        steps = linked(f"lab.{source}.steps", "steps", st.number_input, tr("lab.steps"), default_steps, min_value=1, step=100)
    form = LabForm(source, tuple(axes), int(seeds), None if steps == default_steps else int(steps))
    try:
        manager.check_size(form.cell_count())
        definition = form.definition()
    except SweepError as error:
        st.error(plain(explain(error, lang())))
        return None
    grid = "".join(f"{len(values)} × " for _, values in definition.grid)
    st.markdown(tr("lab.cells", cells=definition.size, grid=grid, seeds=len(definition.seeds)))
    if manager.scheduler:
        st.caption(tr("lab.where.cluster", address=manager.scheduler))
        st.caption(tr("lab.estimate_cluster"))
    else:
        st.caption(tr("lab.where.local", workers=manager.workers, limit=job_manager().max_running))
        st.session_state["lab.estimate"] = _estimate(definition, manager, active)
    return definition


def _estimate(definition: SweepDefinition, manager: SweepManager, active: bool) -> float | None:
    """The sweep's time here: from a timing of its first cell measured earlier on this server, or
    measured now on a click (a page view never trains); the timing holds one of the run slots."""
    device = device_choice()
    rate = known_rate(definition, device)
    # a timing beside a training sweep would measure the competition
    if rate is None and st.button(tr("lab.estimate_button"), disabled=active, key="lab.estimate_button", help=tr("lab.estimate_help")):
        with st.spinner(tr("lab.estimating")):
            rate = measured_rate(definition, device, job_manager())
        if rate is None:
            st.caption(tr("lab.estimate_busy", limit=job_manager().max_running))
            return None
    if rate is None:
        return None
    seconds = estimated_seconds(definition, rate, manager.workers)
    if seconds is None:
        st.caption(tr("lab.estimate_unknown"))
    else:
        st.markdown(tr("lab.estimate", time=format_duration(seconds), workers=manager.workers, probe=PROBE_SECONDS))
    return seconds


# --- a cell on its experiment's page --------------------------------------------------------------


def page_values(experiment: Experiment, config: Any) -> dict[str, str]:
    """``config`` as its experiment's page holds it in its linked widgets, by link parameter (what
    the ui module of its section says, ``ui.pages``)."""
    return pages.link_values(experiment, config)


def setup_params(experiment: Experiment, config: Any) -> dict[str, str]:
    """The link parameters that set ``experiment``'s page to ``config``: those whose value differs
    from the page's first preset, which the page opens with. A setting the page has no widget for
    (``margin``, ``max_peaks``) is named by the page's notice of what a link had that it cannot use."""
    preset = page_values(experiment, experiment.default_config(next(iter(experiment.presets))))
    return {param: text for param, text in page_values(experiment, config).items() if preset.get(param) != text}


@functools.lru_cache(maxsize=2 * LAB_MAX_CELLS)
def _cell_setup(definition_json: str, cell: Cell) -> dict[str, str]:
    definition = SweepDefinition.from_json(json.loads(definition_json))
    return setup_params(get_experiment(definition.experiment), definition.cell_config(cell))


def cell_setups(definition: SweepDefinition, cell_ids: Collection[str]) -> dict[str, dict[str, str]]:
    """Cell id → the link parameters of the cell's settings on its page, so that opening a cell shows
    its settings in the page's widgets as well as its run (Start then reruns the cell). Worked out
    once per cell: a live page asks every few seconds."""
    wanted, definition_json = set(cell_ids), _as_key(definition)
    return {cell.id: _cell_setup(definition_json, cell) for cell in definition.cells() if cell.id in wanted}


def _as_key(definition: SweepDefinition) -> str:
    """A sweep's definition as a cache key of the per-cell work a live page would otherwise redo."""
    return json.dumps(definition.to_json(), sort_keys=True)


MAX_COMPARISONS = 12
"""Links to side-by-side comparisons the Lab lists under a Sec 1.6 sweep's cells, at most."""


def _comparison_links(definition: SweepDefinition, sweep_id: str, kept: Collection[str]) -> None:
    comparisons = pages.comparisons(get_experiment(definition.experiment), definition, sweep_id, kept, lang())
    if comparisons:
        shown = comparisons[:MAX_COMPARISONS]
        st.markdown(
            tr("lab.compare") + "\n" + "\n".join(f"- [{plain(label)}]({address})" for label, address in shown),
        )
        if len(comparisons) > len(shown):
            st.caption(tr("lab.compare.more", shown=len(shown), count=len(comparisons)))


# --- the page's sweep ------------------------------------------------------------------------------


def _page_sweep_id() -> str | None:
    return st.session_state.get(SWEEP_KEY) or linked_id("sweep")


def _remember(sweep_id: str) -> None:
    st.session_state[SWEEP_KEY] = sweep_id
    st.query_params["sweep"] = sweep_id


def _forget() -> None:
    st.session_state.pop(SWEEP_KEY, None)
    if "sweep" in st.query_params:
        del st.query_params["sweep"]


def current_sweep(manager: SweepManager) -> BackgroundSweep | None:
    sweep_id = _page_sweep_id()
    sweep = manager.get(sweep_id) if sweep_id else None
    if sweep is not None:
        _remember(sweep.id)  # back in the URL after a visit to another page
    return sweep


def _status_text(status: SweepStatus | str, message: str, error: Exception | None) -> str:
    value = status.value if isinstance(status, SweepStatus) else status
    if value == "stopped" and message == "abandoned":
        return tr("lab.status.abandoned")
    if value == "failed":
        return tr("lab.status.failed", detail=plain(explain(error, lang()) if error else message))
    return tr(f"lab.status.{value}")


def controls(manager: SweepManager, sweep: BackgroundSweep | None, definition: SweepDefinition | None) -> None:
    progress = sweep.progress() if sweep is not None else None
    active = progress is not None and progress.status.active
    # only the browser that started the sweep controls it; others who opened it by its id watch
    mine = sweep is None or sweep.owned_by(visitor())
    columns = st.columns(5)
    if columns[0].button(tr("run.start"), type="primary", disabled=active or definition is None, key="lab.start"):
        try:
            started = manager.start(
                definition, device=device_choice().type, lang=lang(), estimate_s=st.session_state.get("lab.estimate"), owner=visitor()
            )
        except SweepError as error:  # one sweep per visitor; an unusable runs folder
            st.error(explain(error, lang()))
            return
        _remember(started.id)
        st.rerun()
    if active and sweep.control.paused:
        if columns[1].button(tr("run.resume"), disabled=not mine, key="lab.resume") and mine:
            sweep.resume()
            st.rerun()
    elif columns[1].button(tr("run.pause"), disabled=not active or not mine, key="lab.pause") and mine:
        sweep.pause()
        st.rerun()
    if columns[2].button(tr("run.stop"), disabled=not active or sweep.control.stopped or not mine, key="lab.stop") and mine:
        sweep.stop()
        sweep.wait(5.0)
        st.rerun()
    if columns[3].button(tr("lab.new"), disabled=not _page_sweep_id(), key="lab.new"):
        if active and mine:
            sweep.stop()
        _forget()  # a watcher leaves the sweep training for whoever started it
        st.rerun()
    if not mine:
        st.info(tr("lab.watching", sweep=plain(sweep.id)), icon=":material/visibility:")


def _show_progress(progress: SweepProgress, sweep_id: str) -> None:
    fraction = progress.finished / max(progress.total, 1)
    text = _status_text(progress.status, progress.message, progress.error)
    st.progress(fraction, text=f"{text} · {tr('lab.progress', finished=progress.finished, total=progress.total)}")
    parts = [tr("lab.timing", elapsed=format_duration(progress.elapsed), eta=format_duration(progress.eta_seconds), sweep=plain(sweep_id))]
    if progress.where:
        where = tr("lab.where.pool") if progress.where == LOCAL_POOL else progress.where
        parts.append(tr("lab.where_now", where=where, workers=progress.workers))
    st.caption(" · ".join(parts))
    if progress.status is SweepStatus.WAITING:
        st.info(tr("lab.waiting", limit=job_manager().max_running))
    if progress.status is SweepStatus.QUEUED and progress.queue_position is not None:
        st.info(tr("lab.queued", position=progress.queue_position, limit=sweep_manager().turns.limit))
    if progress.lost:
        st.warning(tr("lab.lost", count=len(progress.lost), first=plain(next(iter(progress.lost.values())))))
    if progress.status is SweepStatus.FAILED:
        st.error(text)
    elif progress.message == "abandoned":
        st.warning(text)


def _live_progress(manager: SweepManager) -> None:
    sweep = current_sweep(manager)
    if sweep is None:  # dropped from memory meanwhile: the full page shows it from disk
        st.rerun()
    sweep.touch()
    _show_progress(sweep.progress(), sweep.id)
    if sweep.done and st.session_state.get("lab.shown_done") != sweep.id:
        # one full rerun when the sweep ends: it turns the polling off and offers the download
        st.session_state["lab.shown_done"] = sweep.id
        st.rerun()


def _live_results(manager: SweepManager) -> None:
    sweep = current_sweep(manager)
    if sweep is None:
        return
    progress = sweep.progress()
    results = results_of(sweep.out, sweep.definition, progress.finished)
    show_results(sweep.id, results, progress.in_flight, progress.lost, progress.status.active)


def show_results(
    sweep_id: str,
    results: SweepResults,
    in_flight: Collection[str] = frozenset(),
    lost: Mapping[str, str] | None = None,
    active: bool = False,
) -> None:
    """The law's fit, the convergence chart, the small heatmaps and the table of cells."""
    definition, frame, fit = results.definition, results.frame, results.fit
    finished = len(frame)
    context = (sweep_id, lang())
    if finished:
        law, fits = projector_first()
        with fits:  # on a projector the law's chart first, its fitted lines after
            lines = [plain(summary_line(group, lang())) for group in fit["groups"]]
            st.markdown(tr("lab.fits") + "\n" + "\n".join(f"- {line}" for line in lines))
            if any("predicted" in group for group in fit["groups"]):
                st.caption(tr("lab.law.note"))
        with law:
            live_chart(
                "lab.convergence",
                context,
                finished,
                lambda: screen_height(convergence_chart(frame, fit, definition.group_keys, lang()), CLASSROOM_LAW_HEIGHT),
                charts_on_page=2,
            )
        kept = [cell for cell in definition.cells() if cell.id in results.traces]
        shown = kept[:MAX_HEATMAPS]
        labels = [(cell_label(cell.settings, cell.seed, lang()), results.traces[cell.id]) for cell in shown]
        live_chart("lab.heatmaps", context, finished, lambda: cell_heatmaps(labels, lang()), charts_on_page=2)
        if len(kept) > len(shown):
            st.caption(tr("lab.heatmaps.more", shown=len(shown), count=len(kept)))
    else:
        st.caption(tr("lab.no_cells_yet"))
    finished_ids = list(frame["cell"]) if finished else []
    links = cell_links(runs_root(), sweep_id, definition.experiment, finished_ids, lang(), cell_setups(definition, finished_ids))
    table = cell_table(results, in_flight, lost or {}, links, lang(), active)
    st.markdown(f"**{tr('lab.table')}**")
    st.dataframe(
        table,
        hide_index=True,
        column_config={tr("lab.table.open"): st.column_config.LinkColumn(display_text=tr("lab.open"))},
        key=f"lab.table.{sweep_id}",
    )
    st.caption(tr("lab.table.help"))
    _comparison_links(definition, sweep_id, links)


def _download(sweep_id: str, out: Path) -> None:
    zip_download("lab.download", zip_sweep(out), f"fpengine-sweep-{sweep_id}.zip", f"lab.download.{sweep_id}")


def _show_saved(manager: SweepManager, saved: SavedSweep) -> None:
    st.caption(tr("lab.loaded", sweep=plain(saved.id)))
    text = _status_text(saved.status, saved.message, None)
    total = saved.definition.size
    st.progress(saved.finished / max(total, 1), text=f"{text} · {tr('lab.progress', finished=saved.finished, total=total)}")
    out = manager.root / saved.id
    show_results(saved.id, results_of(out, saved.definition, saved.finished))
    _download(saved.id, out)


def earlier_sweeps(manager: SweepManager) -> None:
    live = [sweep.id for sweep in manager.sweeps() if not sweep.done]
    saved = list_saved(manager.root, live)
    with st.expander(tr("lab.earlier")):
        if not saved:
            st.caption(tr("lab.earlier.none"))
            return
        # the labels are worked out as the page is drawn, in the visitor's language: a format function
        # called later (Streamlit may, to match the chosen option) would not know the language
        labels = {
            sweep.id: tr(
                "lab.earlier.item",
                date=datetime.datetime.fromtimestamp(sweep.created).strftime("%Y-%m-%d %H:%M"),
                name=sweep.definition.preset or sweep.definition.experiment,
                finished=sweep.finished,
                cells=sweep.definition.size,
                status=_status_text(sweep.status, sweep.message, None),
            )
            for sweep in saved
        }
        chosen = st.selectbox(
            tr("lab.earlier"), list(labels), format_func=labels.__getitem__, key="lab.earlier", label_visibility="collapsed"
        )
        if st.button(tr("lab.earlier.open"), key="lab.earlier.open"):
            _remember(chosen)
            st.rerun()


def lab_page() -> None:
    layout = page_layout("lab.title", "lab.intro", settings_first=False)
    try:
        manager = sweep_manager()
    except ConfigError as error:  # a bad FPENGINE_MAX_SWEEP_CELLS: one line, no page
        st.error(tr("app.bad_server_setting", detail=plain(explain(error, lang()))))
        st.stop()
    sweep = current_sweep(manager)
    active = sweep is not None and not sweep.done
    with layout.settings, settings_area():
        definition = sweep_form(manager, active)
    with layout.run:
        controls(manager, sweep, definition)
        if sweep is not None:
            st.fragment(run_every=REFRESH_SECONDS if active else None)(_live_progress)(manager)
            st.fragment(run_every=RESULTS_REFRESH_SECONDS if active else None)(_live_results)(manager)
            if not active:
                _download(sweep.id, sweep.out)
        elif (sweep_id := _page_sweep_id()) is not None:
            saved = open_saved(manager.root, sweep_id)
            if saved is None:
                st.info(tr("lab.not_found", sweep=plain(sweep_id)))
            else:
                _remember(saved.id)
                _show_saved(manager, saved)
        else:
            st.caption(tr("run.status.idle"))
    with layout.settings:
        earlier_sweeps(manager)
