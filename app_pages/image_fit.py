"""Fig 1.7 · fitting a picture: picture + widgets → ImageFitConfig → run engine → pictures and charts."""

import dataclasses
import hashlib

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
from fpengine.settings.schema import ConfigError, validate
from ui.common import data_version, device_choice, lang, live_chart, plain, settings_area, show_invalid_settings, tr, translated
from ui.controls import (
    SettingError,
    bounds,
    choices,
    network_settings,
    number_list,
    parse_number_list,
    preset_base,
    seed_setting,
    snapshot_steps_setting,
    training_settings,
    widget,
)
from ui.run_panel import forget_photo_runs, run_panel, visitor
from ui.views import convergence_table, heatmap_options, replay_view

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


def receive_photo(widget: str, data: bytes, name: str) -> None:
    """A picture from the uploader or the camera (``widget``), checked and kept in memory the same
    way; a bad one leaves the previous picture in place. Each widget's picture is taken once, so
    the photo taken last is the one in use."""
    digest = hashlib.sha256(data).hexdigest()
    seen = st.session_state.setdefault(UPLOAD_SEEN, {})
    if seen.get(widget) == digest:
        return
    seen[widget] = digest
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


def picture_settings(base: ImageFitConfig) -> dict | None:
    """Where the picture comes from and how it is sampled; None until an upload is there."""
    source = widget(
        KEY,
        "source",
        st.radio,
        tr("image.source"),
        base.image if base.image in BUILTIN_IMAGES else UPLOAD,
        options=[*BUILTIN_IMAGES, UPLOAD],
        format_func=translated("image.source"),
        horizontal=True,
    )
    image = upload_area() if source == UPLOAD else source
    left, middle, right = st.columns([2, 1, 2])
    with left:
        long_side = widget(KEY, "long_side", st.select_slider, tr("image.long_side"), base.long_side, options=LONG_SIDES)
    with middle:
        colour = widget(
            KEY,
            "colour",
            st.radio,
            tr("image.colour"),
            base.colour,
            options=choices(ImageFitConfig, "colour"),
            format_func=translated("image.colour"),
        )
    with right:
        hold_out = widget(KEY, "hold_out", st.checkbox, tr("image.hold_out"), base.hold_out_columns, help=tr("image.hold_out_help"))
    if image is None:
        return None
    return {"image": image, "long_side": int(long_side), "colour": colour, "hold_out_columns": bool(hold_out)}


def model_settings(base: ImageFitConfig) -> dict:
    network = network_settings(base.network, KEY, activations=base.rules()["network.activation"].choices)
    training = training_settings(base.training, KEY)
    schedule = widget(
        KEY,
        "lr_schedule",
        st.sidebar.selectbox,
        tr("image.schedule"),
        base.lr_schedule,
        options=choices(ImageFitConfig, "lr_schedule"),
        format_func=translated("image.schedule"),
    )
    seed = seed_setting(base.seed, KEY)
    with st.sidebar.expander(tr("image.encoding"), expanded=True):
        kind = widget(
            KEY,
            "encoding",
            st.selectbox,
            tr("image.encoding.kind"),
            base.encoding.kind,
            options=choices(ImageFitConfig, "encoding.kind"),
            format_func=translated("image.encoding"),
            help=tr("image.encoding_help"),
        )
        scale = widget(
            KEY,
            "input_scale",
            st.number_input,
            tr("image.input_scale"),
            float(base.encoding.input_scale),
            **bounds(ImageFitConfig, "encoding.input_scale"),
            step=0.5,
            help=tr("image.input_scale_help"),
        )
        features = widget(
            KEY,
            "fourier_features",
            st.number_input,
            tr("image.fourier_features"),
            int(base.encoding.fourier_features),
            **bounds(ImageFitConfig, "encoding.fourier_features", int),
            step=16,
            disabled=kind != "fourier",
        )
        sigma = widget(
            KEY,
            "fourier_sigma",
            st.number_input,
            tr("image.fourier_sigma"),
            float(base.encoding.fourier_sigma),
            **bounds(ImageFitConfig, "encoding.fourier_sigma"),
            step=0.5,
            disabled=kind != "fourier",
        )
        scales = widget(
            KEY,
            "scales",
            st.number_input,
            tr("image.scales"),
            int(base.encoding.scales),
            **bounds(ImageFitConfig, "encoding.scales", int),
            step=1,
            disabled=kind != "multiscale",
        )
    with st.sidebar.expander(tr("image.bands"), expanded=False):
        edges = widget(
            KEY,
            "edges",
            st.text_input,
            tr("image.edges"),
            ",".join(f"{e:g}" for e in base.bands.edges),
            accepts=number_list(float, allow_empty=True),
            help=tr("image.edges_help"),
        )
        epsilon = widget(
            KEY,
            "epsilon",
            st.number_input,
            tr("settings.epsilon"),
            float(base.bands.epsilon),
            **bounds(ImageFitConfig, "bands.epsilon"),
            step=0.01,
        )
        rule = widget(
            KEY,
            "rule",
            st.radio,
            tr("settings.rule"),
            base.bands.rule,
            options=choices(ImageFitConfig, "bands.rule"),
            format_func=translated("settings.rule"),
        )
    snapshots = snapshot_steps_setting(base.snapshot_steps, KEY)
    st.sidebar.caption(tr("image.snapshot_steps_help"))
    return {
        "network": network,
        "training": training,
        "lr_schedule": schedule,
        "seed": seed,
        "encoding": dataclasses.replace(
            base.encoding,
            kind=kind,
            input_scale=float(scale),
            fourier_features=int(features),
            fourier_sigma=float(sigma),
            scales=int(scales),
        ),
        "bands": dataclasses.replace(
            base.bands, edges=parse_number_list(edges, tr("image.edges"), float, allow_empty=True), epsilon=float(epsilon), rule=rule
        ),
        "snapshot_steps": snapshots,
    }


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


def format_seconds(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"


def page_settings() -> tuple[ImageFitConfig | None, np.ndarray | None]:
    base = for_device(preset_base(IMAGE_FIT, KEY), device_choice().type)
    st.sidebar.markdown(f"**{tr('settings.title')}**")
    with settings_area():
        st.subheader(tr("image.picture"))
        picture = picture_settings(base)
    try:
        config = dataclasses.replace(base, **(picture or {}), **model_settings(base))
        if picture is None:
            return None, None
        validate(config)
        target = page_target(config)
        check_memory(estimate_memory(config, target.shape), device_choice())
    except (SettingError, ConfigError, ImageError) as error:
        show_invalid_settings(error)
        return None, None
    height, width = target.shape[:2]
    seconds = cached_seconds_per_step(config, height * width, str(device_choice()))
    st.caption(
        tr(
            "image.estimate",
            height=height,
            width=width,
            ms=seconds * 1000,
            device=str(device_choice()),
            steps=config.training.steps,
            total=format_seconds(seconds * config.training.steps),
        )
    )
    if seconds > SLOW_SECONDS_PER_STEP:
        st.warning(tr("image.slow"))
    if is_upload(config.image):
        st.caption(tr("image.private_run"))
    return config, target


def spectrum_picture(log_magnitude: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """A log spectrum as a grey picture on a shared scale (brighter = stronger)."""
    return np.clip((log_magnitude - lo) / max(hi - lo, 1e-9), 0.0, 1.0)


def render(snapshot, config: ImageFitConfig) -> None:
    views = snapshot.views
    trace = snapshot.traces["band_error"]
    summary = IMAGE_FIT.summarize(config, snapshot)
    log_steps = bool(st.session_state.get(f"{KEY}.log_steps", False))
    scheme = st.session_state.get(f"{KEY}.scheme", charts.SCHEMES[0])

    def draw(shown, cursor: int | None) -> None:
        """The pictures and charts of ``shown`` (a replayed frame when ``cursor`` is its step)."""
        pictures = st.columns(4)
        pictures[0].image(views["target"], caption=tr("image.view.target"), clamp=True, width="stretch")
        step = snapshot.step if cursor is None else cursor
        pictures[1].image(np.clip(shown.views["output"], 0, 1), caption=tr("image.current", step=step), width="stretch")
        target_spectrum = views["target_spectrum"]
        lo, hi = float(np.percentile(target_spectrum, 1)), float(target_spectrum.max())
        pictures[2].image(spectrum_picture(target_spectrum, lo, hi), caption=f"{tr('image.view.target')}: log|DFT|", width="stretch")
        pictures[3].image(
            spectrum_picture(shown.views["output_spectrum"], lo, hi), caption=f"{tr('image.view.output')}: log|DFT|", width="stretch"
        )
        st.caption(tr("image.view.spectra"))
        if config.hold_out_columns:
            st.caption(tr("image.held_out_note"))
        if len(snapshot.metrics["psnr"]):
            st.metric(tr("image.metric.psnr"), f"{snapshot.metrics['psnr'][-1]:.1f} dB")
        context = (id(config), lang(), log_steps, scheme)

        def show(slot: str, build, replayed: int | None = None) -> None:
            # rebuilt only when its data has a new record: the band map and curves from the band
            # errors, loss and PSNR from the metrics
            version = data_version(snapshot, "band_error" if slot in ("heatmap", "bands") else "metrics")
            live_chart(f"{KEY}.{slot}", (*context, replayed), version, build, charts_on_page=4)

        show("heatmap", lambda: heatmap(config, snapshot, lang(), log_steps=log_steps, scheme=scheme, cursor=cursor), cursor)
        st.caption(tr("image.view.heatmap_help"))
        left, right = st.columns(2)
        with left:
            show("bands", lambda: band_curves(trace, lang(), log_steps=log_steps))
            show("psnr", lambda: psnr_chart(snapshot, lang()))
        with right:
            show("loss", lambda: charts.loss_chart(snapshot.metrics["step"], snapshot.metrics["loss"], lang()))
            convergence_table(trace, summary, key_title=tr("image.band_table"))

    replay_view(IMAGE_FIT, snapshot, config, replay_frame, draw)
    if len(views["panel_steps"]):
        st.markdown(f"**{tr('view.snapshots')}**")
        strip = st.columns(len(views["panel_steps"]) + 1)
        for column, step, output in zip(strip, views["panel_steps"], views["panel_outputs"], strict=False):
            column.image(np.clip(output, 0, 1), caption=tr("chart.at_step", step=int(step)), width="stretch")
        strip[-1].image(views["target"], caption=tr("image.view.target"), width="stretch")
    if snapshot.step >= snapshot.total_steps:
        downloads = st.columns(3)
        captions = [tr("chart.at_step", step=int(step)) for step in views["panel_steps"]]
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


st.title(tr(IMAGE_FIT.title_key))
st.markdown(tr("image-fit.intro"))
image_config, image_target = page_settings()
if image_target is not None:
    st.image(image_target, caption=tr("image.preview"), width=192, clamp=True)
heatmap_options(KEY)
run_panel(IMAGE_FIT, image_config, render)
