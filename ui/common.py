"""Page setup, language, the process-wide job manager and chart display."""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
import torch
from streamlit import dataframe_util

from fpengine import charts
from fpengine.engine.admission import MAX_PER_VISITOR, MAX_QUEUED, Admission
from fpengine.engine.device import choose_device, configure_threads, describe_device, resolve_device, run_slots
from fpengine.engine.experiment import Experiment
from fpengine.engine.runner import SERVER_MAX_RUN_SECONDS, Job, JobManager
from fpengine.engine.workers import server_placement, worker_count
from fpengine.export import runs_root, write_run
from fpengine.i18n import LANGUAGES, explain, t
from fpengine.optimizers import warm_up_optimizers
from fpengine.registry import get_experiment
from fpengine.retention import mark_app_folder, prune_runs, retention_limits
from fpengine.settings.config import ConfigError
from fpengine.settings.environment import env_flag, env_number
from fpengine.sweep.executors import check_scheduler

log = logging.getLogger(__name__)

LANG_KEY = "lang"
CLASSROOM_KEY = "classroom"


def lang() -> str:
    return st.session_state.get(LANG_KEY, "en")


def tr(key: str, **values: object) -> str:
    """``t`` in the visitor's language."""
    return t(key, lang(), **values)


_MARKUP = re.compile(r"[\\`*$<]|!(?=\[)|(?<=\])\(|(?<=https)(?=:)|(?<=http)(?=:)|(?<=www)(?=\.)", re.IGNORECASE)
"""Where Markdown (GitHub's, as Streamlit draws it) would read a visitor's text as more than text: a
backslash, code, emphasis or maths (`` ` * $``), HTML and autolinks (``<``), a picture (``![``), a
link's address (``](``), a bare address (``http:``, ``www.``). A backslash there shows the text as is."""


def plain(text: object, limit: int | None = None) -> str:
    """Text from a visitor (a link's value, a file name, a formula, a run or sweep id, an error that
    quotes them) as Markdown that shows exactly that text, on one line: never a link drawn, a
    picture fetched from elsewhere or HTML. ``limit``: at most that many characters of it, then "…"."""
    text = " ".join(str(text).split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return _MARKUP.sub(lambda match: "\\" + match.group(), text)


def format_duration(seconds: float | None) -> str:
    """A duration as a person reads it: ``42 s``, ``3 min 05 s``, ``2 h 07 min``; ``–`` when unknown."""
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def show_invalid_settings(error: Exception) -> None:
    """Why the page's settings cannot start a run, in the visitor's language."""
    # a SettingError is the widget's own message, already translated; it may quote what was typed
    st.error(tr("run.invalid", detail=plain(explain(error, lang()))))


def translated(prefix: str) -> Callable[[Any], str]:
    """``format_func`` for options whose text is ``t(f"{prefix}.{option}")``, in the language of
    *this* run: a widget's format_func may be called after the script (AppTest does), when the
    session's language can no longer be read."""
    current = lang()
    return lambda option: t(f"{prefix}.{option}", current)


def language_selector() -> None:
    """Sidebar switch English / 简体中文, remembered in the URL (``?lang=zh``)."""
    if LANG_KEY not in st.session_state:
        wanted = st.query_params.get("lang", "en")
        st.session_state[LANG_KEY] = wanted if wanted in LANGUAGES else "en"
    st.sidebar.radio(t("app.language"), list(LANGUAGES), format_func=LANGUAGES.get, key=LANG_KEY, horizontal=True)
    st.query_params["lang"] = st.session_state[LANG_KEY]


def classroom_mode() -> bool:
    return bool(st.session_state.get(CLASSROOM_KEY, False))


CLASSROOM_CSS = """<style>
/* Classroom mode only (classroom_switch): Streamlit sizes the page's text for a screen at arm's length,
   in rem of a 16 px root; on a 1280x720 projector read from the back of a room the page's own text grows
   as the charts' does (charts.presentation). Scoped to the main area: the sidebar is folded away. The
   title is one line and the page starts near the top: the run's key views fit the screen (ui.layout). */
[data-testid="stMainBlockContainer"] { padding-top: 3.5rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 2.25rem; padding: 0 0 0.25rem 0; }
[data-testid="stMainBlockContainer"] :is(h2, h3) { font-size: 1.9rem; }
[data-testid="stMainBlockContainer"] [data-testid="stMarkdownContainer"] :is(p, li) { font-size: 1.4rem; }
[data-testid="stMainBlockContainer"] [data-testid="stCaptionContainer"] :is(p, li) { font-size: 1.2rem; }
[data-testid="stMainBlockContainer"] [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p { font-size: 3rem; }
[data-testid="stMainBlockContainer"] :is([data-baseweb="select"], input) { font-size: 1.25rem; }
[data-testid="stMainBlockContainer"] [data-testid="stTable"] :is(th, td) { font-size: 1.25rem; }
</style>"""


LIVE_CSS = """<style>
/* A run's progress bar jumps to its new width at each refresh instead of sliding for half a second:
   on a box without a GPU the browser composites each slide's ~30 frames in software, about 0.03
   CPU-seconds a refresh (a quarter of a training page's refresh with no chart) beside a run that needs
   the cores (docs/development.md, bench_live_app). */
[data-testid="stProgress"] div { transition: none !important; }
</style>"""


def live_style() -> None:
    """The app's own style for its live pages (``LIVE_CSS``), on every page."""
    st.html(LIVE_CSS)


def classroom_switch() -> None:
    """Sidebar switch of the classroom mode, remembered in the URL (``?classroom=1``): the sidebar
    starts collapsed, the page's own settings fold away (:func:`settings_area`), charts get larger
    text (:func:`show_chart`) and so does the page's own (``CLASSROOM_CSS``), for a projector."""
    if CLASSROOM_KEY not in st.session_state:
        st.session_state[CLASSROOM_KEY] = st.query_params.get(CLASSROOM_KEY) == "1"
    st.sidebar.toggle(t("app.classroom", lang()), key=CLASSROOM_KEY, help=t("app.classroom_help", lang()))
    st.set_page_config(initial_sidebar_state="collapsed" if classroom_mode() else "auto")
    if classroom_mode():
        st.html(CLASSROOM_CSS)
        st.query_params[CLASSROOM_KEY] = "1"
    elif CLASSROOM_KEY in st.query_params:
        del st.query_params[CLASSROOM_KEY]


def result_table(frame: Any) -> None:
    """A run's table (convergence, work per method): an interactive grid, or in classroom mode a
    plain table, which the classroom style can enlarge (the grid draws its text on a canvas)."""
    if classroom_mode():
        st.table(frame, hide_index=True)
    else:
        st.dataframe(frame, hide_index=True)


def settings_area() -> Any:
    """The container of a page's own settings in its main area: a bordered box, or in classroom
    mode a closed expander that leaves the screen to the run."""
    if classroom_mode():
        return st.expander(tr("app.classroom_settings"), expanded=False, icon=":material/tune:")
    return st.container(border=True)


def set_widget_value(name: str, value: Any) -> None:
    """Give the widget ``name`` of :func:`language_safe_widget` a value before it is drawn (a shared link's)."""
    st.session_state[name] = value
    for code in LANGUAGES:
        st.session_state.pop(f"{name}@{code}", None)


def language_safe_widget(name: str, make: Callable[..., Any], label: str, default: Any, **kwargs: Any) -> Any:
    """A widget whose value survives a language switch.

    Streamlit remembers a selectbox's or radio's *displayed* option, and the display changes with
    the language; so each language gets its own widget instance (``name@lang``), started from the
    language-independent value kept under ``name`` (first set to ``default``).

    The value is handed to the widget as its own default (``value``, ``index`` or ``default``)
    on every run rather than written into its session state: a browser that loses a widget's
    state (a rerun cut short on a busy server, as an upload's can be) falls back to the default
    it was sent, which then is the value on show, not the widget's first option or minimum (a
    learning rate of 0, the smallest picture).
    """
    if name not in st.session_state:
        st.session_state[name] = default
    value = make(label, key=f"{name}@{lang()}", **_as_default(make, st.session_state[name], kwargs), **kwargs)
    st.session_state[name] = value
    return value


def language_safe_tabs(key: str, label_keys: Sequence[str]) -> Sequence[Any]:
    """``st.tabs`` (labels: the catalogue keys ``label_keys``) whose tab on show survives a language
    switch: Streamlit keeps the *label* of the tab on show under ``key``, and the label changes with the
    language, so a label of another language is turned into this one's before the tabs are drawn."""
    labels = [tr(label) for label in label_keys]
    shown = st.session_state.get(key)
    if shown is not None and shown not in labels:
        for code in LANGUAGES:
            theirs = [t(label, code) for label in label_keys]
            if shown in theirs:
                st.session_state[key] = labels[theirs.index(shown)]
                break
    return st.tabs(labels, key=key, on_change="rerun")


def _as_default(make: Callable[..., Any], value: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``value`` as the default argument of the widget ``make`` makes."""
    kind = getattr(make, "__name__", "")
    if kind in ("selectbox", "radio"):
        options = list(kwargs["options"])
        return {"index": options.index(value)} if value in options else {}
    if kind == "multiselect":
        return {"default": [item for item in value if item in kwargs["options"]]}
    return {"value": value}


def save_finished_run(job: Job, figures: bool = True) -> None:
    """Keep every finished run on disk (config, metrics, summary, snapshot, figures) so a refresh
    or a later visit can reopen and export it."""
    experiment = get_experiment(job.experiment)
    if job.snapshot is None or not experiment.keeps_run(job.config):
        return
    write_run(
        runs_root() / job.id,
        experiment,
        job.config,
        job.snapshot,
        status=job.status.value,
        device=describe_device(job.device),
        message=job.message,
        figures=figures,
    )
    mark_app_folder(runs_root() / job.id)


SWITCH_INTERVAL_S = 0.001


@st.cache_resource
def job_manager() -> JobManager:
    """One manager per server process: it caps concurrent training (a shared classroom server
    must not melt), stops runs abandoned for ``FPENGINE_LEASE_SECONDS``, keeps the last
    ``FPENGINE_KEEP_FINISHED`` finished runs in memory and prunes the runs folder (at start and
    after each save). Runs train in worker processes (``FPENGINE_WORKERS``; 0: in this process's
    threads) or on the Dask cluster at ``DASK_SCHEDULER_ADDRESS``; every run passes the admission gate
    (``fpengine.engine.admission``). A bad ``FPENGINE_*`` value raises ConfigError before anything starts."""
    configure_threads()
    # Every visitor's script runs are threads of this process; the event loop that answers every
    # browser (health checks, websocket messages) waits for the GIL behind them, up to the switch
    # interval each time it needs it: 1 ms instead of Python's 5 ms bounds that wait.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    figures = env_flag("FPENGINE_SAVE_FIGURES", True)
    max_age_days, max_mb = retention_limits()

    def prune() -> None:
        # runs still in memory are in use: training, being saved, or just finished and on show
        prune_runs(runs_root(), max_age_days=max_age_days, max_mb=max_mb, busy=[job.id for job in manager.jobs()])

    def finish(job: Job) -> None:
        save_finished_run(job, figures)
        prune()

    automatic = resolve_device()  # probes the GPU once, at start
    workers = worker_count(default=-1)
    max_running, device_limits = run_slots(automatic, workers=workers != 0)
    if workers < 0:
        workers = max_running  # one worker per run slot
    admission = Admission(
        max_queued=int(env_number("FPENGINE_MAX_QUEUED", MAX_QUEUED, minimum=1, maximum=10_000)),
        per_visitor=int(env_number("FPENGINE_MAX_PER_VISITOR", MAX_PER_VISITOR, minimum=1, maximum=100)),
    )
    manager = JobManager(
        max_running=max_running,
        device_limits=device_limits,
        lease_seconds=env_number("FPENGINE_LEASE_SECONDS", 600, whole=False, minimum=1, maximum=86_400),
        keep_finished=env_number("FPENGINE_KEEP_FINISHED", 12, maximum=200),
        max_run_seconds=env_number("FPENGINE_MAX_RUN_SECONDS", SERVER_MAX_RUN_SECONDS, whole=False, maximum=7 * 86_400),
        on_finish=finish,
        placement=server_placement(workers, max_running, get_experiment, check_scheduler),  # started and warmed now, not in the first run
        admission=admission,
    )
    prune()
    if workers == 0:
        # runs train in this process: fused Adam imports torch._dynamo on first use (seconds), so now,
        # not in the first run (worker processes warm up on their own; here it would only take the
        # CPU from the first runs they train). Not in a thread: the import parses Python source, and on
        # Python 3.11 two threads building ASTs at once can fail ("SystemError: AST constructor recursion
        # depth mismatch", CPython gh-106905): a page's script compiled beside it did, in a test run.
        warm_up_optimizers(automatic)
    return manager


def device_choice(experiment: Experiment | None = None) -> torch.device:
    """The device a new run uses: automatic (a CUDA or MPS GPU that passed the start-up probe)
    unless the visitor chose the CPU, and the CPU for an experiment that always trains there."""
    device = choose_device(st.session_state.get("device", "auto")).device
    return device if experiment is None else experiment.device_for(device)


def device_selector(experiment: Experiment | None = None) -> None:
    """The visitor's device choice, and what ``experiment``'s runs (or, on other pages, new runs)
    train on and why; a GPU that failed the start-up probe is reported, not silently skipped."""
    try:
        job_manager()  # sets the torch thread count that the caption reports
    except ConfigError as error:  # a bad FPENGINE_* value of the server: one line, no page
        log.error("%s", error)
        st.error(tr("app.bad_server_setting", detail=plain(explain(error, lang()))))
        st.stop()
    language_safe_widget(
        "device", st.sidebar.selectbox, tr("settings.device"), "auto", options=["auto", "cpu"], format_func=translated("settings.device")
    )
    chosen = choose_device(st.session_state["device"])
    device = device_choice(experiment)
    # summary.json keeps the engine's English description; the caption speaks the visitor's language
    shown = tr("app.cpu_threads", threads=torch.get_num_threads()) if device.type == "cpu" else describe_device(device)
    st.sidebar.caption(f"{tr('app.device', device=shown)} — {tr(f'app.device.why.{chosen.reason}')}")
    if chosen.reason == "failed":
        st.sidebar.warning(tr("app.device.failed", detail=plain(chosen.detail)))
    if experiment is not None and experiment.runs_on == "cpu":
        st.sidebar.info(tr("app.device.pinned"))


LIVE_CHART_DUTY = 0.2
"""Share of the time live charts may spend being built: building holds the GIL that the trainer
needs, so a chart whose build costs c seconds is rebuilt at most every
c × charts / LIVE_CHART_DUTY seconds; in between its last spec is shown again, which is cheap."""


MAX_LIVE_CHART_WAIT = 5.0
"""However costly, a live chart is redrawn at least this often (seconds)."""


MIN_LIVE_CHART_WAIT = 0.5
"""However cheap, a live chart whose data changed is rebuilt at most this often (seconds): 2 Hz is
as fast as a watcher follows a curve or a map filling in; the key views' fragment ticks every 2 s
(``run_panel.REFRESH_SECONDS``), a whole-page rerun may come sooner."""


def data_version(snapshot: Any, *sources: str) -> tuple:
    """A cheap fingerprint of what a chart drawn from ``sources`` of ``snapshot`` shows: for
    ``"metrics"`` and for a trace's name, its number of records and its last step (a new record
    changes it; a publish without one does not); for ``"views"``, the snapshot's version (views are
    replaced at every publish). No sources: a chart that never changes during a run."""
    version: list = []
    for source in sources:
        if source == "metrics":
            steps = snapshot.metrics["step"]
        elif source in snapshot.traces:
            steps = snapshot.traces[source].steps
        else:
            version.append(snapshot.version)
            continue
        version.append((len(steps), int(steps[-1]) if len(steps) else -1))
    return tuple(version)


def live_chart(slot: str, context: object, version: object, build: Callable[[], alt.TopLevelMixin], charts_on_page: int = 5) -> None:
    """Show a chart that follows a running job without starving it. The chart in ``slot`` is rebuilt
    at once when its ``context`` (run, language, display options) changes; for a new ``version`` of
    its data (:func:`data_version`) in the same context, no more often than its measured build cost
    allows nor than ``MIN_LIVE_CHART_WAIT``; an unchanged version is never rebuilt. In between, the
    last spec (its data already in Arrow) is sent again, which costs the server and the browser little."""
    cache: dict[str, tuple[object, object, dict, float, float]] = st.session_state.setdefault("_live_charts", {})
    cached = cache.get(slot)
    now = time.monotonic()
    stale = (
        cached is None
        or cached[0] != context
        or (
            cached[1] != version
            and now - cached[3] >= min(max(cached[4] * charts_on_page / LIVE_CHART_DUTY, MIN_LIVE_CHART_WAIT), MAX_LIVE_CHART_WAIT)
        )
    )
    if stale:
        started = time.thread_time()  # CPU time: a busy machine must not stretch the wait
        spec = chart_spec(build())
        # a slot's first build pays one-off costs (imports, warm-up) that would hold it back for long
        cost = 0.0 if cached is None else time.thread_time() - started
        cached = (context, version, spec, now, cost)
        cache[slot] = cached
    _emit(cached[2])


def chart_spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec, unvalidated, as Streamlit sends it: its datasets already Arrow
    (so a spec shown again is not converted again) under names that follow their order, not their
    content (so a chart whose data changed keeps the same spec, and the browser updates the data
    of the chart it has rather than building a new one)."""
    spec = chart.to_dict(validate=False)
    datasets = spec.pop("datasets", None)
    if not datasets:
        return spec
    names = {old: f"data-{index}" for index, old in enumerate(datasets)}
    spec = _renamed(spec, names)
    spec["datasets"] = {
        names[old]: rows if isinstance(rows, bytes) else dataframe_util.convert_anything_to_arrow_bytes(pd.DataFrame(rows))
        for old, rows in datasets.items()
    }
    return spec


def _renamed(node: Any, names: dict[str, str]) -> Any:
    """``node`` with every data reference ``{"name": old}`` renamed by ``names``."""
    if isinstance(node, dict):
        if "name" in node and len(node) == 1 and node["name"] in names:
            return {"name": names[node["name"]]}
        return {key: _renamed(value, names) for key, value in node.items()}
    if isinstance(node, list):
        return [_renamed(item, names) for item in node]
    return node


def _emit(spec: dict, key: str | None = None) -> None:
    """Streamlit's default autosize "fit" squeezes axes, legend and title into the Vega-Lite spec's height
    (a 3-row heatmap drew 20 px tall). Single views fit the column's width and keep their plot
    height; compositions keep their natural size."""
    composed = any(k in spec for k in ("hconcat", "vconcat", "concat", "facet"))
    spec.setdefault("autosize", {"type": "pad" if composed else "fit-x", "contains": "padding"})
    if classroom_mode():
        spec = charts.presentation(spec)
    st.vega_lite_chart(spec, key=key, width="content" if composed else "stretch")


def zip_download(label_key: str, data: bytes, file_name: str, key: str) -> None:
    """A button that downloads ``data`` as the zip ``file_name`` (a run's or a sweep's folder),
    labelled by ``label_key`` and helped by ``<label_key>_help``."""
    st.download_button(tr(label_key), data, file_name=file_name, mime="application/zip", help=tr(f"{label_key}_help"), key=key)


def show_chart(chart: alt.TopLevelMixin, key: str | None = None) -> None:
    """Render an Altair chart without re-validating its schema on every refresh: validation costs
    tens of milliseconds of the GIL that the trainer needs."""
    _emit(chart_spec(chart), key=key)


def show_spec(spec: dict, key: str | None = None) -> None:
    """Render a chart already made a spec (:func:`chart_spec`), e.g. one kept for every session: it is
    not changed here."""
    _emit(dict(spec), key=key)
