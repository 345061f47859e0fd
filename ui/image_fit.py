"""Fig 1.7's page, section by section: where the picture comes from (the uploader and the camera,
kept in the session's memory only, and forgotten on request), the settings drawn from their
declarations, the training target and time estimate, and the run's pictures and charts."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import streamlit as st

from fpengine import charts
from fpengine.engine.memory import check_memory
from fpengine.image.charts import band_curves, heatmap, psnr_chart
from fpengine.image.experiment import IMAGE_FIT
from fpengine.image.export import metrics_csv, run_gif, snapshot_strip_png
from fpengine.image.pictures import BUILTIN_IMAGES, ImageError, decode_image
from fpengine.image.settings import LONG_SIDES, ImageFitConfig, for_device
from fpengine.image.timing import seconds_per_step
from fpengine.image.training import estimate_memory, replay_frame, target_picture
from fpengine.image.uploads import camera_allowed, forget_upload, is_upload, remember_upload
from fpengine.image.views import ImageViews as V

from .common import classroom_mode, data_version, device_choice, format_duration, lang, live_chart, plain, settings_area, tr
from .controls import network_settings, preset_base, seed_setting, snapshot_steps_setting, training_settings
from .fields import Field, field, settings_or_none, with_values
from .run_panel import Part, forget_photo_runs, visitor
from .views import convergence_table, replay_view

KEY = IMAGE_FIT.name
UPLOAD = "upload"
UPLOAD_NAME = f"{KEY}.upload.name"
# the session's hold on its photo: the upload store keeps only a weak reference (fpengine.image.uploads)
UPLOAD_PICTURE = f"{KEY}.upload.picture"
# the session's own cache of its photo's training targets (the server-wide cache holds built-ins only)
UPLOAD_TARGETS = f"{KEY}.upload.targets"
MAX_UPLOAD_TARGETS = 4
UPLOAD_NOTES = f"{KEY}.upload.notes"
UPLOAD_ERROR = f"{KEY}.upload.error"
UPLOAD_SEEN = f"{KEY}.upload.seen"
UPLOAD_GENERATION = f"{KEY}.upload.generation"
SLOW_SECONDS_PER_STEP = 0.05


def forget_photo() -> None:
    """Drop every copy of the visitor's photo: the upload, the page's targets of it, this visitor's
    runs on it and their snapshots; and empty the uploader and the camera (new widget keys)."""
    name = st.session_state.pop(UPLOAD_NAME, "")
    forget_upload(name)
    forget_photo_runs(IMAGE_FIT, name)
    for key in (UPLOAD_PICTURE, UPLOAD_TARGETS, UPLOAD_NOTES, UPLOAD_ERROR, UPLOAD_SEEN):
        st.session_state.pop(key, None)
    st.session_state[UPLOAD_GENERATION] = st.session_state.get(UPLOAD_GENERATION, 0) + 1
    st.session_state[f"{KEY}.forgotten"] = True


def receive_photo(source: str, data: bytes, name: str) -> None:
    """A picture from the uploader or the camera (``source``), checked and kept in memory the same
    way; a bad one leaves the previous picture in place. Each widget's picture is taken once, so
    the photo taken last is the one in use."""
    digest = hashlib.sha256(data).hexdigest()
    seen = st.session_state.setdefault(UPLOAD_SEEN, {})
    if seen.get(source) == digest:
        return
    seen[source] = digest
    try:
        picture = decode_image(data, name)
    except ImageError as error:
        st.session_state[UPLOAD_ERROR] = tr("image.upload_failed", name=plain(name, limit=120), reason=plain(error.message(lang())))
    else:
        st.session_state[UPLOAD_NAME] = remember_upload(picture, visitor())
        st.session_state[UPLOAD_PICTURE] = picture  # the previous photo is the store's no more, unless a run holds it
        st.session_state[UPLOAD_NOTES] = list(picture.notes)
        st.session_state.pop(UPLOAD_ERROR, None)


def upload_area() -> str | None:
    """The uploader and, where the browser allows it, the camera. Returns the picture's name."""
    generation = st.session_state.get(UPLOAD_GENERATION, 0)
    left, right = st.columns(2)
    file = left.file_uploader(
        tr("image.upload"),
        type=["jpg", "jpeg", "png", "webp", "bmp", "gif", "tif", "tiff"],
        key=f"{KEY}.upload.{generation}",
        help=tr("image.upload_help"),
    )
    if file is not None:
        receive_photo("upload", file.getvalue(), file.name)
    if camera_allowed(st.context.url):
        shot = right.camera_input(tr("image.camera"), key=f"{KEY}.camera.{generation}", help=tr("image.camera_help"))
        if shot is not None:
            receive_photo("camera", shot.getvalue(), tr("image.camera_photo"))
    else:
        right.info(tr("image.camera_insecure"))
    if st.session_state.pop(f"{KEY}.forgotten", False):
        st.success(tr("image.forgotten"))
    if UPLOAD_ERROR in st.session_state:
        st.error(st.session_state[UPLOAD_ERROR])
    for note in st.session_state.get(UPLOAD_NOTES, []):
        st.info(tr(note))
    if UPLOAD_NAME in st.session_state:
        st.button(tr("image.forget"), on_click=forget_photo, key=f"{KEY}.forget")
        return st.session_state[UPLOAD_NAME]
    st.caption(tr("image.upload_first"))
    return None


SOURCE = Field("image", "image.source", param="source", options_label="image.source", kind="radio", horizontal=True)
LONG_SIDE = Field("long_side", "image.long_side", kind="select_slider")
COLOUR = Field("colour", "image.colour", kind="radio", options_label="image.colour")
HOLD_OUT = Field("hold_out_columns", "image.hold_out", param="hold_out", help="image.hold_out_help")
SCHEDULE = Field("lr_schedule", "image.schedule", options_label="image.schedule")
ENCODING = Field("encoding.kind", "image.encoding.kind", param="encoding", options_label="image.encoding", help="image.encoding_help")
INPUT_SCALE = Field("encoding.input_scale", "image.input_scale", help="image.input_scale_help", step=0.5)
FOURIER_FEATURES = Field("encoding.fourier_features", "image.fourier_features", step=16)
FOURIER_SIGMA = Field("encoding.fourier_sigma", "image.fourier_sigma", step=0.5)
SCALES = Field("encoding.scales", "image.scales", step=1)
EDGES = Field("bands.edges", "image.edges", help="image.edges_help")
EPSILON = Field("bands.epsilon", "settings.epsilon", step=0.01)
RULE = Field("bands.rule", "settings.rule", kind="radio", options_label="settings.rule")


def picture_settings(base: ImageFitConfig) -> dict | None:
    """Where the picture comes from and how it is sampled; None until an upload is there."""
    source = field(KEY, base, SOURCE, options=[*BUILTIN_IMAGES, UPLOAD], default=base.image if base.image in BUILTIN_IMAGES else UPLOAD)
    image = upload_area() if source == UPLOAD else source
    left, middle, right = st.columns([2, 1, 2])
    values = {
        "long_side": field(KEY, base, LONG_SIDE, left, options=LONG_SIDES),
        "colour": field(KEY, base, COLOUR, middle),
        "hold_out_columns": field(KEY, base, HOLD_OUT, right),
    }
    return None if image is None else {"image": image, **values}


def model_settings(base: ImageFitConfig) -> dict:
    values = {
        "network": network_settings(
            base.network,
            KEY,
            activations=base.rules()["network.activation"].choices,
            output_inits=base.rules()["network.output_init"].choices,
        ),
        "training": training_settings(base.training, KEY),
        "lr_schedule": field(KEY, base, SCHEDULE, st.sidebar),
        "seed": seed_setting(base, KEY),
    }
    with st.sidebar.expander(tr("image.encoding"), expanded=True):
        kind = values["encoding.kind"] = field(KEY, base, ENCODING)
        values["encoding.input_scale"] = field(KEY, base, INPUT_SCALE)
        values["encoding.fourier_features"] = field(KEY, base, FOURIER_FEATURES, disabled=kind != "fourier")
        values["encoding.fourier_sigma"] = field(KEY, base, FOURIER_SIGMA, disabled=kind != "fourier")
        values["encoding.scales"] = field(KEY, base, SCALES, disabled=kind != "multiscale")
    with st.sidebar.expander(tr("image.bands"), expanded=False):
        values.update({spec.path: field(KEY, base, spec) for spec in (EDGES, EPSILON, RULE)})
    values["snapshot_steps"] = snapshot_steps_setting(base, KEY)
    st.sidebar.caption(tr("image.snapshot_steps_help"))
    return values


@st.cache_data(max_entries=16, show_spinner=False)
def cached_target(image: str, long_side: int, colour: str) -> np.ndarray:
    return target_picture(ImageFitConfig(image=image, long_side=long_side, colour=colour))


def page_target(config: ImageFitConfig) -> np.ndarray:
    """The training target of the page's picture: a built-in's from the server-wide cache, the
    visitor's photo's from the session's own (which Forget empties)."""
    if not is_upload(config.image):
        return cached_target(config.image, config.long_side, config.colour)
    targets = st.session_state.setdefault(UPLOAD_TARGETS, {})
    key = (config.image, config.long_side, config.colour)
    if key not in targets:
        while len(targets) >= MAX_UPLOAD_TARGETS:
            targets.pop(next(iter(targets)))
        targets[key] = target_picture(config)
    return targets[key]


@st.cache_data(max_entries=32, show_spinner=False)
def cached_seconds_per_step(config: ImageFitConfig, pixels: int, device: str) -> float:
    # an estimate from the network's work and this device's measured speed: a page view never trains
    return seconds_per_step(config, pixels, device_choice())


def image_settings() -> tuple[ImageFitConfig | None, np.ndarray | None]:
    """The page's config and its training target; (None, None) while a setting is invalid (shown
    why), no photo is there yet, or the run would not fit in memory."""
    base = for_device(preset_base(IMAGE_FIT, KEY), device_choice().type)
    st.sidebar.markdown(f"**{tr('settings.title')}**")
    with settings_area():
        st.subheader(tr("image.picture"))
        picture = picture_settings(base)
    found: list[np.ndarray] = []

    def build() -> ImageFitConfig:
        config = with_values(base, {**(picture or {}), **model_settings(base)})
        if picture is not None:  # the target, and its memory, only once a picture is there
            found.append(page_target(config))
            check_memory(estimate_memory(config, found[0].shape), device_choice())
        return config

    config = settings_or_none(build)
    if config is None or picture is None:
        return None, None
    estimate(config, found[0])
    return config, found[0]


def estimate(config: ImageFitConfig, target: np.ndarray) -> None:
    """The time a step and the run will take here, before Start; a warning when that is slow."""
    height, width = target.shape[:2]
    seconds = cached_seconds_per_step(config, height * width, str(device_choice()))
    device = str(device_choice())
    total = format_duration(seconds * config.training.steps)
    st.caption(tr("image.estimate", height=height, width=width, ms=seconds * 1000, device=device, steps=config.training.steps, total=total))
    if seconds > SLOW_SECONDS_PER_STEP:
        st.warning(tr("image.slow"))
    if is_upload(config.image):
        st.caption(tr("image.private_run"))


def spectrum_picture(log_magnitude: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """A log spectrum as a grey picture on a shared scale (brighter = stronger)."""
    return np.clip((log_magnitude - lo) / max(hi - lo, 1e-9), 0.0, 1.0)


def key_views(snapshot, shown, cursor: int | None, config: ImageFitConfig, band_heatmap: Callable[[], None]) -> None:
    """The target, the network's picture now (of ``shown``: a replayed frame when ``cursor`` is its
    step), both spectra and the band heatmap; in classroom mode the target, the picture and the
    heatmap share the first row."""
    views = snapshot.views
    step = snapshot.step if cursor is None else cursor
    target_spectrum = views[V.target_spectrum]
    lo, hi = float(np.percentile(target_spectrum, 1)), float(target_spectrum.max())
    pictures = [
        (views[V.target], tr("image.view.target")),
        (np.clip(shown.views[V.output], 0, 1), tr("image.current", step=step)),
        (spectrum_picture(target_spectrum, lo, hi), f"{tr('image.view.target')}: log|DFT|"),
        (spectrum_picture(shown.views[V.output_spectrum], lo, hi), f"{tr('image.view.output')}: log|DFT|"),
    ]
    first_row = st.columns([1, 1, 2]) if classroom_mode() else st.columns(4)
    if classroom_mode():
        with first_row[2]:
            band_heatmap()
        first_row = [*first_row[:2], *st.columns(4)[:2]]
    for column, (picture, caption) in zip(first_row, pictures, strict=True):
        column.image(picture, caption=caption, clamp=True, width="stretch")
    st.caption(tr("image.view.spectra"))
    if config.hold_out_columns:
        st.caption(tr("image.held_out_note"))
    if len(snapshot.metrics["psnr"]):
        st.metric(tr("image.metric.psnr"), f"{snapshot.metrics['psnr'][-1]:.1f} dB")
    if not classroom_mode():
        band_heatmap()


def render(snapshot, config: ImageFitConfig, log_steps: bool, scheme: str, part: Part = Part.ALL) -> None:
    """The target beside the network's picture now, their spectra and the band heatmap (the key
    views); then band errors, PSNR, loss, the band table, the snapshot strip and, at the end, the
    downloads (``part``: which of the two groups)."""
    views = snapshot.views
    trace = snapshot.traces["band_error"]
    summary = IMAGE_FIT.summarize(config, snapshot)

    def draw(shown, cursor: int | None) -> None:
        """The pictures and charts of ``shown`` (a replayed frame when ``cursor`` is its step)."""
        context = (id(config), lang(), log_steps, scheme)

        def show(slot: str, build, replayed: int | None = None) -> None:
            # rebuilt only when its data has a new record: the band map and curves from the band
            # errors, loss and PSNR from the metrics
            version = data_version(snapshot, "band_error" if slot in ("heatmap", "bands") else "metrics")
            live_chart(f"{KEY}.{slot}", (*context, replayed), version, build, charts_on_page=4)

        def band_heatmap() -> None:
            show("heatmap", lambda: heatmap(config, snapshot, lang(), log_steps=log_steps, scheme=scheme, cursor=cursor), cursor)
            st.caption(tr("image.view.heatmap_help"))

        if Part.KEY in part:
            key_views(snapshot, shown, cursor, config, band_heatmap)
        if Part.MORE in part:
            left, right = st.columns(2)
            with left:
                show("bands", lambda: band_curves(trace, lang(), log_steps=log_steps))
                show("psnr", lambda: psnr_chart(snapshot, lang()))
            with right:
                show("loss", lambda: charts.loss_chart(snapshot.metrics["step"], snapshot.metrics["loss"], lang()))
                convergence_table(trace, summary, key_title=tr("image.band_table"))

    replay_view(IMAGE_FIT, snapshot, config, replay_frame, draw, part)
    if Part.MORE not in part:
        return
    if len(views[V.panel_steps]):
        st.markdown(f"**{tr('view.snapshots')}**")
        strip = st.columns(len(views[V.panel_steps]) + 1)
        for column, step, output in zip(strip, views[V.panel_steps], views[V.panel_outputs], strict=False):
            column.image(np.clip(output, 0, 1), caption=tr("chart.at_step", step=int(step)), width="stretch")
        strip[-1].image(views[V.target], caption=tr("image.view.target"), width="stretch")
    if snapshot.step >= snapshot.total_steps:
        downloads = st.columns(3)
        captions = [tr("chart.at_step", step=int(step)) for step in views[V.panel_steps]]
        downloads[0].download_button(
            tr("image.export.strip"),
            snapshot_strip_png(snapshot, captions, tr("image.view.target")),
            file_name="snapshots.png",
            mime="image/png",
            key=f"{KEY}.strip",
        )
        downloads[1].download_button(tr("image.export.gif"), run_gif(snapshot), file_name="run.gif", mime="image/gif", key=f"{KEY}.gif")
        downloads[2].download_button(
            tr("image.export.csv"), metrics_csv(snapshot), file_name="metrics.csv", mime="text/csv", key=f"{KEY}.csv"
        )
