"""Filtering method engine: the blocked float32 filter against the authors' dense float64 code (docs/experiments.md#sources)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fpengine.highdim import gaussian_split as filtering
from fpengine.highdim.filtering import check_label_parts
from fpengine.highdim.gaussian_split import (
    CHAPTER_DELTAS,
    NOTEBOOK_DELTAS,
    GaussianSmoother,
    LowHighSplit,
    default_deltas,
    delta_warnings,
    dense_low_pass_reference,
)
from fpengine.highdim.settings import FilteringConfig
from fpengine.settings.schema import ConfigError


def dense_band_errors_reference(x: np.ndarray, labels: np.ndarray, outputs: np.ndarray, delta: float) -> tuple[float, float]:
    """e_low, e_high computed the authors' way (docs/experiments.md#sources), filtering labels and outputs separately."""
    y = np.asarray(labels, dtype=np.float64)
    h = np.asarray(outputs, dtype=np.float64)
    y_low = dense_low_pass_reference(x, y, delta)
    h_low = dense_low_pass_reference(x, h, delta)
    e_low = np.linalg.norm(y_low - h_low) / np.linalg.norm(y_low)
    e_high = np.linalg.norm((y - y_low) - (h - h_low)) / np.linalg.norm(y - y_low)
    return float(e_low), float(e_high)


@pytest.fixture(scope="module")
def problem() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x [n, 1, 6, 6] in [0,1], one-hot labels, softmax-like outputs) for n = 150."""
    rng = np.random.default_rng(0)
    x = rng.random((150, 1, 6, 6))
    labels = np.eye(10)[rng.integers(0, 10, 150)]
    logits = rng.normal(size=(150, 10))
    outputs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return x, labels, outputs


@pytest.mark.parametrize("block_rows", [1, 7, 64, 1000])
def test_low_pass_matches_dense_reference(problem, block_rows: int) -> None:
    x, labels, _ = problem
    smoother = GaussianSmoother(x, block_rows=block_rows)
    deltas = (0.1, 0.5, 2.0, 40.0)
    low = smoother.low_pass(labels, deltas).numpy()
    assert low.shape == (4, 150, 10) and low.dtype == np.float32
    for index, delta in enumerate(deltas):
        np.testing.assert_allclose(low[index], dense_low_pass_reference(x, labels, delta), atol=1e-5, rtol=0)


def test_band_errors_match_dense_reference(problem) -> None:
    x, labels, outputs = problem
    deltas = (0.3, 1.0, 5.0)
    errors = LowHighSplit(GaussianSmoother(x, block_rows=32), labels, deltas).errors(outputs)
    for index, delta in enumerate(deltas):
        e_low, e_high = dense_band_errors_reference(x, labels, outputs, delta)
        assert errors.e_low[index] == pytest.approx(e_low, abs=1e-5)
        assert errors.e_high[index] == pytest.approx(e_high, abs=1e-5)


def test_perfect_outputs_have_zero_error_and_constant_outputs_lose_only_the_mean(problem) -> None:
    x, labels, _ = problem
    split = LowHighSplit(GaussianSmoother(x), labels, (1.0,))
    exact = split.errors(labels)
    assert exact.e_low[0] == pytest.approx(0.0, abs=1e-6) and exact.e_high[0] == pytest.approx(0.0, abs=1e-6)
    constant = split.errors(np.zeros_like(labels))
    assert constant.e_low[0] == pytest.approx(1.0) and constant.e_high[0] == pytest.approx(1.0)


def test_limits_of_delta(problem) -> None:
    """δ → 0: the kernel is the identity (all low); δ → ∞: the low part is the class mean."""
    x, labels, _ = problem
    smoother = GaussianSmoother(x)
    low_tiny, low_huge = smoother.low_pass(labels, (1e-4, 1e6)).numpy()
    np.testing.assert_allclose(low_tiny, labels, atol=1e-6)
    np.testing.assert_allclose(low_huge, np.broadcast_to(labels.mean(axis=0), labels.shape), atol=1e-5)


def test_distances_and_median_nearest_neighbour() -> None:
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 3.0]])
    smoother = GaussianSmoother(x, block_rows=3)
    expected = ((x[:, None] - x[None]) ** 2).sum(-1)
    np.testing.assert_allclose(smoother.distances.numpy(), expected)
    assert smoother.distances.dtype == torch.float32
    # nearest other point: 1, 1, 4, 10 → median 2.5
    assert smoother.median_nearest_neighbour_distance() == pytest.approx(2.5)
    assert default_deltas(smoother, (0.5, 2.0)) == pytest.approx((1.25, 5.0))


def test_distance_diagonal_is_exactly_zero_despite_cancellation() -> None:
    x = np.full((5, 3072), 0.7) + np.random.default_rng(1).random((5, 3072)) * 1e-3
    assert torch.all(torch.diagonal(GaussianSmoother(x).distances) == 0)
    assert torch.all(GaussianSmoother(x).distances >= 0)


def test_bad_input_is_rejected(problem) -> None:
    x, labels, _ = problem
    smoother = GaussianSmoother(x)
    for bad in (0.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match=r"positive and finite \(got 1, "):
            smoother.low_pass(labels, (1.0, bad))
    with pytest.raises(ValueError, match="rows"):
        smoother.low_pass(labels[:10], (1.0,))
    with pytest.raises(ValueError, match="block_rows"):
        GaussianSmoother(x, block_rows=0)
    with pytest.raises(ValueError, match="duplicate"):
        default_deltas(GaussianSmoother(np.zeros((4, 3))))


def test_offered_delta_sets() -> None:
    assert CHAPTER_DELTAS == (3.0, 7.0, 10.0)
    assert len(NOTEBOOK_DELTAS) == 20 and NOTEBOOK_DELTAS[0] == 2.0 and NOTEBOOK_DELTAS[-1] == 100.0
    assert NOTEBOOK_DELTAS[1] == pytest.approx(7.157894736842105)


def test_delta_warnings_relative_to_the_data_scale() -> None:
    assert delta_warnings((0.1, 2.0, 30.0, 200.0), scale=10.0) == [(0.1, "identity"), (200.0, "mean")]
    assert delta_warnings((1.0, 1.3, 160.0), scale=10.0) == [(1.0, "identity")]
    assert delta_warnings((), scale=1.0) == []


def test_distances_computed_in_column_blocks_match(problem, monkeypatch: pytest.MonkeyPatch) -> None:
    x, labels, _ = problem
    whole = GaussianSmoother(x).distances
    monkeypatch.setattr(filtering, "DISTANCE_BLOCK", 7)
    blocked = GaussianSmoother(x.astype(np.float32)).distances
    torch.testing.assert_close(blocked, whole, rtol=1e-6, atol=1e-5)
    assert torch.all(torch.diagonal(blocked) == 0)


def test_a_delta_too_small_for_the_data_is_refused_before_training(problem) -> None:
    """1e-40 once gave NaN errors reported as a finished run: below the nearest-neighbour scale every
    off-diagonal weight underflows, y^low = y and e_high = 0/0."""
    x, labels, _ = problem
    smoother = GaussianSmoother(x)
    scale = smoother.median_nearest_neighbour_distance()
    split = LowHighSplit(smoother, labels, (1e-5, 1.0))
    assert float(split.high_norm[0]) == 0 and float(split.high_norm[1]) > 0
    with pytest.raises(ConfigError, match=r"^deltas: δ is too small for these inputs.*; got 1e-05$") as raised:
        check_label_parts(FilteringConfig(deltas=(1e-5, 1.0)), split, scale)
    assert f"use deltas of at least {scale / 8:.3g} " in str(raised.value)
    assert raised.value.message("zh").startswith("deltas：δ 对这些输入过小") and raised.value.message("zh").endswith("；收到 1e-05")
    with pytest.raises(ConfigError, match=r"^delta_multiples: δ is too small.*use delta_multiples of at least 0\.125 .*; got 0\.001$"):
        check_label_parts(FilteringConfig(delta_multiples=(0.001, 1.0)), split, scale)
    check_label_parts(FilteringConfig(deltas=(0.5, 1.0)), LowHighSplit(smoother, labels, (0.5, 1.0)), scale)
