"""Projection method engine: PCA direction, NUDFT, peaks and noise floor, against references."""

from __future__ import annotations

import numpy as np
import pytest

from fpengine import spectral
from fpengine.highdim.datasets import DataSplit
from fpengine.highdim.nudft import (
    NudftBasis,
    component_magnitude,
    first_principal_direction,
    frequency_grid,
    noise_floor,
    project,
    relative_error,
    unreliable_peaks,
)
from fpengine.highdim.projection import analyse_labels
from fpengine.highdim.settings import ProjectionConfig, ProjectionSpectrumConfig
from fpengine.settings.schema import ConfigError


def nudft_reference(projected: np.ndarray, values: np.ndarray, frequencies: np.ndarray) -> np.ndarray:
    """The definition, summed term by term with complex exponentials."""
    kernel = np.exp(-2j * np.pi * np.outer(np.asarray(frequencies, dtype=float), np.asarray(projected, dtype=float)))
    return kernel @ np.asarray(values, dtype=float) / len(projected)


def _correlated(n: int, d: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + 3.0


@pytest.mark.parametrize("shape", [(200, 12), (15, 40)])  # covariance-sized and Gram-sized problems
def test_principal_direction_matches_dense_eigendecomposition(shape: tuple[int, int]) -> None:
    x = _correlated(*shape)
    centred = x - x.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    reference = vectors[:, -1]
    direction = first_principal_direction(x)
    assert np.linalg.norm(direction) == pytest.approx(1.0)
    assert abs(direction @ reference) == pytest.approx(1.0, abs=1e-10)
    assert direction[np.argmax(np.abs(direction))] > 0  # a fixed sign, so runs are reproducible


def test_principal_direction_of_a_line() -> None:
    t = np.linspace(-1, 1, 50)[:, None]
    axis = np.array([3.0, 4.0, 0.0]) / 5
    direction = first_principal_direction(t * axis + np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(direction, axis, atol=1e-12)
    np.testing.assert_allclose(project(np.array([[5.0, 0.0, 7.0]]), direction), [3.0])


def test_nudft_matches_the_definition_for_vectors_and_matrices() -> None:
    rng = np.random.default_rng(3)
    v = rng.normal(scale=2.0, size=150)
    labels = np.eye(10)[rng.integers(0, 10, 150)]
    k = np.array([0.0, 0.013, 0.2, 0.37, 1.9])
    basis = NudftBasis(v, k)
    np.testing.assert_allclose(basis.transform(labels), nudft_reference(v, labels, k), atol=1e-13)
    np.testing.assert_allclose(basis.transform(labels[:, 4]), nudft_reference(v, labels[:, 4], k), atol=1e-13)
    # k = 0 is the class frequency
    np.testing.assert_allclose(basis.transform(labels)[0].real, labels.mean(axis=0))


def test_nudft_of_a_pure_wave_on_a_periodic_grid() -> None:
    v = np.arange(64) / 64 * 8.0  # eight units, so k = m/8 are the grid's exact frequencies
    y = np.cos(2 * np.pi * 0.5 * v)
    magnitudes = np.abs(NudftBasis(v, [0.0, 0.25, 0.5, 0.75]).transform(y))
    np.testing.assert_allclose(magnitudes, [0.0, 0.0, 0.5, 0.0], atol=1e-12)


def test_uncentred_projection_only_changes_phase() -> None:
    rng = np.random.default_rng(4)
    v = rng.normal(size=80)
    y = rng.random(size=(80, 3))
    k = np.linspace(0, 1, 7)
    shifted = NudftBasis(v + 11.5, k).transform(y)
    plain = NudftBasis(v, k).transform(y)
    np.testing.assert_allclose(np.abs(shifted), np.abs(plain), atol=1e-13)
    outputs = y + 0.1 * rng.random(size=y.shape)
    np.testing.assert_allclose(
        relative_error(NudftBasis(v + 11.5, k).transform(outputs), shifted, 1),
        relative_error(NudftBasis(v, k).transform(outputs), plain, 1),
        rtol=1e-10,
    )


def test_vector_norm_component_and_relative_error() -> None:
    coefficients = np.array([[3 + 0j, 4j], [1 + 1j, 0j]])
    np.testing.assert_allclose(component_magnitude(coefficients, None), [5.0, np.sqrt(2)])
    np.testing.assert_allclose(component_magnitude(coefficients, 1), [4.0, 0.0])
    outputs = coefficients + np.array([[0.5, 0.0], [0.0, 1j]])
    np.testing.assert_allclose(relative_error(outputs, coefficients, 0), [0.5 / 3, 0.0])
    np.testing.assert_allclose(relative_error(outputs, coefficients, None), [0.1, 1 / np.sqrt(2)])


def test_frequency_grid_follows_the_data_scale() -> None:
    v = np.random.default_rng(5).normal(scale=4.0, size=5000)
    grid = frequency_grid(v, count=11)
    assert grid[0] == 0.0 and len(grid) == 11
    assert grid[-1] == pytest.approx(1.25 / np.std(v))
    np.testing.assert_allclose(frequency_grid(v, count=3, k_max=0.35), [0, 0.175, 0.35])
    with pytest.raises(ValueError, match="no spread"):
        frequency_grid(np.ones(10))


def test_peaks_include_k0_and_unreliable_peaks_are_flagged() -> None:
    magnitude = np.array([0.1, 0.05, 0.02, 0.03, 0.01, 0.004, 0.006, 0.002, 0.0021])
    picked = spectral.select_peaks(magnitude, endpoint=True)[:4]  # what a run tracks by default: k = 0 and the first peaks
    assert picked.tolist() == [0, 3, 6, 8]
    assert unreliable_peaks(magnitude, picked, floor=0.0035) == [6, 8]
    assert unreliable_peaks(magnitude, picked, floor=0.0035, factor=1.0) == [8]


def test_noise_floor_predicts_the_spectrum_of_random_labels() -> None:
    rng = np.random.default_rng(6)
    n = 4000
    v = rng.normal(size=n)
    labels = np.eye(10)[rng.integers(0, 10, n)]
    high = np.linspace(5, 8, 200)  # far above 1/std(v): only sampling noise is left
    magnitude = component_magnitude(NudftBasis(v, high).transform(labels), 2)
    floor = noise_floor(labels, 2)
    assert floor == pytest.approx(np.sqrt(0.09 / n), rel=0.1)
    rms = float(np.sqrt(np.mean(magnitude**2)))
    assert rms == pytest.approx(floor, rel=0.15)
    vector_floor = noise_floor(labels, None)
    assert vector_floor == pytest.approx(np.sqrt(0.9 / n), rel=0.1)


@pytest.mark.parametrize("k_max", [1e-300, 9.99e-4, 100.5, float("nan"), float("inf"), -1.0])
def test_frequency_grid_refuses_a_degenerate_or_non_finite_k_max(k_max: float) -> None:
    v = np.random.default_rng(5).normal(size=100)
    with pytest.raises(ValueError, match=r"k_max must be between 0\.001 and 100 \(got "):
        frequency_grid(v, count=11, k_max=k_max)
    assert frequency_grid(v, count=11, k_max=1e-3)[-1] == 1e-3  # the bound itself is allowed


def _split(x: np.ndarray, labels: np.ndarray) -> DataSplit:
    images = x.reshape(len(x), 1, 1, -1).astype(np.float32)
    return DataSplit("test", images, labels, images[:2], labels[:2], tuple(str(c) for c in range(10)))


def test_a_spectrum_without_peaks_is_refused_not_tracked_as_an_empty_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """k_max = 1e-300 once gave a flat |ŷ_k| and an empty list reported as a finished run; the
    config now refuses such a k_max, and a flat spectrum (stood in for here) still fails loudly."""
    rng = np.random.default_rng(0)
    data = _split(rng.random((60, 4)), rng.integers(0, 10, 60))
    config = ProjectionConfig(spectrum=ProjectionSpectrumConfig(k_max=1e-3))
    assert len(analyse_labels(config, data).selected) > 0
    monkeypatch.setattr(spectral, "select_peaks", lambda magnitude, endpoint: np.zeros(0, dtype=int))
    with pytest.raises(ConfigError, match=r"^spectrum\.k_max: the label spectrum has no peak up to this k_max.*; got 0\.001$") as raised:
        analyse_labels(config, data)
    assert raised.value.message("zh").startswith("spectrum.k_max：在此 k_max 以下标签频谱没有峰")


def test_a_class_missing_from_the_training_set_is_refused() -> None:
    rng = np.random.default_rng(0)
    labels = rng.choice([c for c in range(10) if c != 8], 60)
    with pytest.raises(ConfigError, match=r"^spectrum\.component: this class does not occur among the first 60 .*; got 8$"):
        analyse_labels(ProjectionConfig(spectrum=ProjectionSpectrumConfig(component=8)), _split(rng.random((60, 4)), labels))
    config = ProjectionConfig(spectrum=ProjectionSpectrumConfig(component=3))
    assert len(analyse_labels(config, _split(rng.random((60, 4)), labels)).selected) > 0
