"""Widgets shared by the two high-dimensional pages (projection, filtering): data, model and
training settings, dataset notices, the offline hint after a failed download, download progress."""

from __future__ import annotations

import streamlit as st

from fpengine.engine.experiment import Experiment
from fpengine.engine.runner import Snapshot, Status
from fpengine.highdim.datasets import DATASET_SIZES, DOWNLOAD_MEGABYTES, is_cached
from fpengine.highdim.settings import ClassificationConfig
from fpengine.highdim.views import DownloadViews

from .common import device_choice, tr
from .controls import optimizer_settings, seed_setting
from .fields import Field, field, with_values
from .run_panel import current_job

DATASET = Field("dataset", "highdim.dataset", options_label="highdim.dataset")
N_TRAIN = Field("n_train", "highdim.n_train", step=100)
N_TEST = Field("n_test", "highdim.n_test", step=100)
MODEL = Field("network.model", "highdim.model", options_label="highdim.model")
ACTIVATION = Field("network.activation", "settings.activation", help="highdim.activation_help")
WIDTHS = Field("network.widths", "settings.widths", help="settings.widths_help")
BATCH_SIZE = Field("training.batch_size", "highdim.batch_size", step=10)  # its top, n_train, is checked by validation
EPOCHS = Field("training.epochs", "highdim.epochs", step=10)
EVALUATIONS = Field("training.evaluations_per_epoch", "highdim.evaluations", param="evaluations", help="highdim.evaluations_help", step=1)
SHUFFLE = Field("training.shuffle", "highdim.shuffle", help="highdim.shuffle_help")


def classification_settings(base: ClassificationConfig, key: str) -> ClassificationConfig:
    """Data, model and training widgets: ``base`` with the shared fields (``dataset``, ``n_train``,
    ``n_test``, ``network``, ``training``, ``seed``) as the visitor set them."""
    with st.sidebar.expander(tr("highdim.data"), expanded=True):
        dataset = field(key, base, DATASET)
        # no max_value: switching to a smaller dataset must not make the widget raise; validation names the bound
        limit = int(type(base).n_train_rule(dataset).high)
        n_train = field(key, base, N_TRAIN, max_value=None, help=tr("highdim.n_train_help", limit=limit))
        n_test = field(key, base, N_TEST, help=tr("highdim.n_test_help", limit=DATASET_SIZES[dataset][1]))
    with st.sidebar.expander(tr("highdim.model"), expanded=True):
        model = field(key, base, MODEL)
        activation = field(key, base, ACTIVATION, disabled=model == "vgg16")
        widths = field(key, base, WIDTHS, disabled=model != "dnn")
    with st.sidebar.expander(tr("settings.training"), expanded=False):
        optimizer, lr, momentum = optimizer_settings(base.training, key)
        values = {spec.path: field(key, base, spec) for spec in (BATCH_SIZE, EPOCHS, EVALUATIONS, SHUFFLE)}
        seed = seed_setting(base, key, st)
    network = {
        "network.model": model,
        "network.activation": activation,
        "network.widths": widths if model == "dnn" else base.network.widths,
    }
    training = {"training.optimizer": optimizer, "training.lr": lr, "training.momentum": momentum, **values}
    return with_values(base, {"dataset": dataset, "n_train": n_train, "n_test": n_test, "seed": seed, **network, **training})


def dataset_notices(config: ClassificationConfig, noisy_datasets: tuple[str, ...] = ()) -> None:
    """What the visitor should know before Start: a download, a noisy dataset, a slow model."""
    dataset = config.dataset
    if not is_cached(dataset):
        st.info(tr("highdim.download_notice", dataset=tr(f"highdim.dataset.{dataset}"), mb=DOWNLOAD_MEGABYTES[dataset]))
    if dataset in noisy_datasets:
        st.warning(tr("highdim.noisy_dataset", dataset=tr(f"highdim.dataset.{dataset}")))
    if config.network.model != "dnn" and device_choice().type == "cpu":
        st.warning(tr("highdim.slow_model", model=tr(f"highdim.model.{config.network.model}")))


def offline_hint(experiment: Experiment) -> None:
    """After a failed download: say that the offline datasets still work."""
    job = current_job(experiment)
    if job is not None and job.status is Status.FAILED and job.message.startswith(("DatasetUnavailable", "ChecksumMismatch")):
        st.warning(tr("highdim.offline_hint"))


def download_in_progress(snapshot: Snapshot) -> bool:
    """Show the download's progress while the data is still arriving (no evaluation yet)."""
    if len(snapshot.metrics.get("step", ())) > 0 or DownloadViews.download_file not in snapshot.views:
        return False
    done = float(snapshot.views[DownloadViews.download_bytes])
    total = float(snapshot.views[DownloadViews.download_total])
    st.progress(
        min(done / total, 1.0) if total > 0 else 0.0,
        text=tr("highdim.downloading", file=snapshot.views[DownloadViews.download_file], done=done / 1e6, total=total / 1e6),
    )
    return True
