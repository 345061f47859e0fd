"""Widgets shared by the two high-dimensional pages (projection, filtering): data, model and
training settings, dataset notices, the offline hint after a failed download, download progress."""

from __future__ import annotations

from typing import Any

import streamlit as st

from fpengine.engine.experiment import Experiment
from fpengine.engine.runner import Snapshot, Status
from fpengine.highdim.datasets import DATASET_SIZES, DOWNLOAD_MEGABYTES, is_cached
from fpengine.highdim.settings import ClassificationConfig, ClassifierConfig, EpochTrainingConfig
from fpengine.highdim.views import DownloadViews
from fpengine.settings.schema import SEED

from .common import device_choice, tr, translated
from .controls import bounds, choices, number_list, optimizer_settings, parse_int_list, widget
from .run_panel import current_job


def classification_settings(base: ClassificationConfig, key: str) -> dict[str, Any]:
    """Data, model and training widgets; returns the values of the shared config fields (``dataset``,
    ``n_train``, ``n_test``, ``network``, ``training``, ``seed``)."""
    kind = type(base)
    with st.sidebar.expander(tr("highdim.data"), expanded=True):
        dataset = widget(
            key,
            "dataset",
            st.selectbox,
            tr("highdim.dataset"),
            base.dataset,
            options=choices(kind, "dataset"),
            format_func=translated("highdim.dataset"),
        )
        # no max_value: switching to a smaller dataset must not make the widget raise; validation names the bound
        rule = kind.n_train_rule(dataset)
        n_train = widget(
            key,
            "n_train",
            st.number_input,
            tr("highdim.n_train"),
            int(base.n_train),
            min_value=int(rule.low),
            step=100,
            help=tr("highdim.n_train_help", limit=int(rule.high)),
        )
        n_test = widget(
            key,
            "n_test",
            st.number_input,
            tr("highdim.n_test"),
            int(base.n_test),
            **bounds(kind, "n_test", int),
            step=100,
            help=tr("highdim.n_test_help", limit=DATASET_SIZES[dataset][1]),
        )
    network = network_settings(base.network, key)
    training, seed = training_settings(base.training, base.seed, key)
    return {"dataset": dataset, "n_train": int(n_train), "n_test": int(n_test), "network": network, "training": training, "seed": int(seed)}


def network_settings(base: ClassifierConfig, key: str) -> ClassifierConfig:
    kind = type(base)
    with st.sidebar.expander(tr("highdim.model"), expanded=True):
        model = widget(
            key,
            "model",
            st.selectbox,
            tr("highdim.model"),
            base.model,
            options=choices(kind, "model"),
            format_func=translated("highdim.model"),
        )
        activation = widget(
            key,
            "activation",
            st.selectbox,
            tr("settings.activation"),
            base.activation,
            options=choices(kind, "activation"),
            disabled=model == "vgg16",
            help=tr("highdim.activation_help"),
        )
        widths_text = widget(
            key,
            "widths",
            st.text_input,
            tr("settings.widths"),
            ",".join(map(str, base.widths)),
            accepts=number_list(),
            disabled=model != "dnn",
            help=tr("settings.widths_help"),
        )
    widths = parse_int_list(widths_text, tr("settings.widths")) if model == "dnn" else base.widths
    return ClassifierConfig(model=model, widths=widths, activation=activation)


def training_settings(base: EpochTrainingConfig, base_seed: int, key: str) -> tuple[EpochTrainingConfig, int]:
    kind = type(base)
    with st.sidebar.expander(tr("settings.training"), expanded=False):
        optimizer, lr, momentum = optimizer_settings(base, key)
        # the top of the batch size is n_train, checked by validation
        batch_size = widget(
            key, "batch_size", st.number_input, tr("highdim.batch_size"), int(base.batch_size), **bounds(kind, "batch_size", int), step=10
        )
        epochs = widget(key, "epochs", st.number_input, tr("highdim.epochs"), int(base.epochs), **bounds(kind, "epochs", int), step=10)
        evaluations = widget(
            key,
            "evaluations",
            st.number_input,
            tr("highdim.evaluations"),
            int(base.evaluations_per_epoch),
            **bounds(kind, "evaluations_per_epoch", int),
            step=1,
            help=tr("highdim.evaluations_help"),
        )
        shuffle = widget(key, "shuffle", st.checkbox, tr("highdim.shuffle"), bool(base.shuffle), help=tr("highdim.shuffle_help"))
        seed = widget(
            key, "seed", st.number_input, tr("settings.seed"), int(base_seed), min_value=int(SEED.low), max_value=int(SEED.high), step=1
        )
    training = EpochTrainingConfig(
        optimizer=optimizer,
        lr=lr,
        momentum=momentum,
        batch_size=int(batch_size),
        shuffle=bool(shuffle),
        epochs=int(epochs),
        evaluations_per_epoch=int(evaluations),
    )
    return training, int(seed)


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
