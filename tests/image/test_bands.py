"""Radial band errors, log spectra and PSNR of 2-D pictures, on pictures with known spectra."""

from __future__ import annotations

import numpy as np
import pytest

from fpengine.image.bands import DEFAULT_EDGES, RadialBands, band_label, log_spectrum, psnr, radial_frequency

H, W = 32, 40


def cosine(fy_index: int, fx_index: int, amplitude: float = 1.0, height: int = H, width: int = W) -> np.ndarray:
    """An exactly periodic plane wave on the grid: DFT indices (±fy, ±fx), |f| = √((fy/H)² + (fx/W)²)."""
    rows = np.arange(height)[:, None]
    cols = np.arange(width)[None, :]
    return amplitude * np.cos(2 * np.pi * (fy_index * rows / height + fx_index * cols / width))


def picture(*layers: np.ndarray) -> np.ndarray:
    return np.sum(layers, axis=0)[..., None]


# radial frequencies: (0, 1) → 0.025 (band 1); (4, 0) → 0.125 (band 2); (0, 8) → 0.2 (band 3); (12, 0) → 0.375 (band 4)
MEAN = np.full((H, W), 0.5)
LOW, MID, HIGH, TOP = cosine(0, 1, 0.3), cosine(4, 0, 0.2), cosine(0, 8, 0.1), cosine(12, 0, 0.05)
TARGET = picture(MEAN, LOW, MID, HIGH, TOP)


def test_radial_frequency_of_the_fft_grid():
    radius = radial_frequency(H, W)
    assert radius.shape == (H, W)
    assert radius[0, 0] == 0
    assert radius[0, 1] == pytest.approx(1 / W) and radius[1, 0] == pytest.approx(1 / H)
    assert radius[H // 2, W // 2] == pytest.approx(np.sqrt(0.5))
    assert radius.max() == pytest.approx(np.sqrt(0.5))


def test_bands_partition_the_spectrum_and_split_its_energy():
    bands = RadialBands.of_target(TARGET)
    assert bands.count == 4
    np.testing.assert_array_equal(bands.membership.sum(axis=1), 1)
    total = np.sum(np.abs(np.fft.fft2(TARGET[..., 0])) ** 2)
    assert np.sum(bands.target_norms**2) == pytest.approx(total)
    # band 1 holds the mean and the slow wave: (0.5·HW)² + 2·(0.3·HW/2)²
    assert bands.target_norms[0] ** 2 == pytest.approx((0.5 * H * W) ** 2 + 2 * (0.15 * H * W) ** 2)
    assert bands.keys == ("<0.05", "0.05-0.15", "0.15-0.3", ">=0.3")
    assert list(bands.values) == sorted(bands.values)
    assert 0 < bands.values[0] < 0.05 < bands.values[1] < 0.15 < bands.values[2] < 0.3 < bands.values[3]


def test_perfect_output_has_zero_error_and_blank_output_has_one():
    bands = RadialBands.of_target(TARGET)
    np.testing.assert_allclose(bands.errors(TARGET), 0, atol=1e-12)
    np.testing.assert_allclose(bands.errors(np.zeros_like(TARGET)), 1, atol=1e-12)


def test_a_missing_component_shows_only_in_its_band():
    bands = RadialBands.of_target(TARGET)
    without_mid = picture(MEAN, LOW, HIGH, TOP)
    np.testing.assert_allclose(bands.errors(without_mid), [0, 1, 0, 0], atol=1e-12)
    half_high = picture(MEAN, LOW, MID, 0.5 * HIGH, TOP)
    np.testing.assert_allclose(bands.errors(half_high), [0, 0, 0.5, 0], atol=1e-12)


def test_phase_errors_count_complex_form():
    """A shifted wave has the right |DFT| but the wrong phase: relative error |e^{iφ} − 1| = 2 sin(φ/2)."""
    bands = RadialBands.of_target(TARGET)
    rows = np.arange(H)[:, None]
    shifted = np.broadcast_to(0.2 * np.cos(2 * np.pi * 4 * rows / H + np.pi / 3), (H, W))
    errors = bands.errors(picture(MEAN, LOW, shifted, HIGH, TOP))
    np.testing.assert_allclose(errors, [0, 2 * np.sin(np.pi / 6), 0, 0], atol=1e-12)


def test_stack_of_outputs_gives_the_error_trace_matrix():
    bands = RadialBands.of_target(TARGET)
    outputs = np.stack([np.zeros_like(TARGET), picture(MEAN, LOW), picture(MEAN, LOW, MID), TARGET])
    errors = bands.errors(outputs)
    assert errors.shape == (4, 4)
    np.testing.assert_allclose(errors, [[1, 1, 1, 1], [0, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 0]], atol=1e-12)
    for t in range(4):
        np.testing.assert_allclose(errors[t], bands.errors(outputs[t]))


def test_colour_channels_are_combined_in_the_norm():
    target = np.stack([MEAN + MID, MEAN + MID, MEAN - MID], axis=2)
    bands = RadialBands.of_target(target)
    output = target.copy()
    output[..., 2] = MEAN  # the blue channel lost its band-2 wave: 1 of 3 equal parts of the band energy
    np.testing.assert_allclose(bands.errors(output), [0, np.sqrt(1 / 3)], atol=1e-12)


def test_bands_without_target_energy_are_left_out():
    bands = RadialBands.of_target(picture(MEAN, LOW, MID))
    assert bands.count == 2 and bands.keys == ("<0.05", "0.05-0.15")
    flat = RadialBands.of_target(picture(MEAN))
    assert flat.count == 1
    with pytest.raises(ValueError):
        RadialBands.of_target(np.zeros((H, W, 1)))


def test_custom_edges_and_their_validation():
    bands = RadialBands.of_target(TARGET, edges=(0.1,))
    assert bands.keys == ("<0.1", ">=0.1")
    np.testing.assert_allclose(bands.errors(picture(MEAN, LOW)), [0, 1], atol=1e-12)
    for edges in [(0.2, 0.1), (0.0,), (0.8,), (0.1, 0.1)]:
        with pytest.raises(ValueError):
            RadialBands.of_target(TARGET, edges=edges)
    with pytest.raises(ValueError):
        RadialBands.of_target(TARGET[..., 0])
    with pytest.raises(ValueError):
        RadialBands.of_target(TARGET).errors(np.zeros((H, W + 1, 1)))


def test_a_coefficient_exactly_on_an_edge_belongs_to_the_band_above():
    # bands are [lo, hi): |f| = 2/W = 0.05 exactly is in "0.05-0.15", not "<0.05"
    assert radial_frequency(H, W)[0, 2] == 0.05
    bands = RadialBands.of_target(picture(MEAN, cosine(0, 2, 0.3)))
    assert bands.keys == ("<0.05", "0.05-0.15")
    np.testing.assert_allclose(bands.errors(picture(MEAN)), [0, 1], atol=1e-12)


def test_spec_default_edges():
    assert DEFAULT_EDGES == (0.05, 0.15, 0.3)
    assert band_label(0.0, 0.05) == "<0.05" and band_label(0.3, None) == ">=0.3"


def test_log_spectrum_is_centred():
    spectrum = log_spectrum(picture(MEAN, MID))
    assert spectrum.shape == (H, W)
    assert spectrum[H // 2, W // 2] == pytest.approx(np.log10(0.5 + 1e-6))
    assert spectrum[H // 2 + 4, W // 2] == pytest.approx(np.log10(0.1 + 1e-6))
    assert spectrum[H // 2 + 1, W // 2] == pytest.approx(-6, abs=1e-3)


def test_psnr_of_mean_squared_errors_caps_a_perfect_match():
    np.testing.assert_allclose(psnr(np.array([0.1**2, 0.01**2, 1.0])), [20.0, 40.0, 0.0])
    assert psnr(np.array([0.0]))[0] == 99.0
