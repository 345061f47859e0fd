import numpy as np
import pytest

from fpengine import spectral
from fpengine.readout.targets import TargetConfig


def test_amplitude_spectrum_of_known_sines_is_exact_on_a_periodic_grid():
    x = np.linspace(-np.pi, np.pi, 64, endpoint=False)
    values = 1.0 * np.sin(x) + 0.5 * np.sin(3 * x) + 2.0 * np.cos(5 * x)
    spectrum = spectral.amplitude_spectrum(values, 10)
    # |DFT|/N of a·sin(kx) on a full period is a/2 at index k, zero elsewhere
    expected = np.zeros(10)
    expected[[1, 3, 5]] = [0.5, 0.25, 1.0]
    np.testing.assert_allclose(spectrum, expected, atol=1e-12)


def test_dft_matches_numpy_fft_and_normalises_by_sample_count():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(3, 50))
    np.testing.assert_allclose(spectral.dft(values, 20), np.fft.fft(values, axis=-1)[:, :20] / 50)


def test_index_k_is_sin_of_2_pi_k_over_the_width():
    omega = spectral.index_to_angular_frequency(np.array([2, 10]), -2 * np.pi, 2 * np.pi)
    np.testing.assert_allclose(omega, [1.0, 5.0])


def test_select_peaks_follows_the_authors_rule():
    f = np.array([5.0, 1.0, 3.0, 2.0, 2.0, 4.0, 1.0, 6.0])
    np.testing.assert_array_equal(spectral.select_peaks(f), [2, 5])
    np.testing.assert_array_equal(spectral.select_peaks(f, endpoint=True), [0, 2, 5, 7])


def test_peaks_of_the_chapter_targets():
    x = np.linspace(-np.pi, np.pi, 600)
    equal = spectral.select_peaks(spectral.amplitude_spectrum(TargetConfig().evaluate(x), 40))
    np.testing.assert_array_equal(equal[:3], [1, 3, 5])
    x = np.linspace(-2 * np.pi, 2 * np.pi, 600)
    two = spectral.select_peaks(spectral.amplitude_spectrum(TargetConfig((1.0, 5.0), (1.0, 1.0)).evaluate(x), 40))
    np.testing.assert_array_equal(two, [2, 10])


def test_side_lobes_of_the_staircase_are_told_apart_from_its_harmonics():
    # on [−10, 10] the peak rule returns 3, 11, 16, 22, 28; only 3, 16, 22 are harmonics
    x = np.linspace(-10, 10, 600)
    y = TargetConfig((1.0,), (1.0,), quantize=1.0).evaluate(x)
    peaks = spectral.select_peaks(spectral.amplitude_spectrum(y, 30))
    np.testing.assert_array_equal(peaks, [3, 11, 16, 22, 28])
    genuine = spectral.genuine_peaks(y, peaks)
    np.testing.assert_array_equal(peaks[genuine], [3, 16, 22])


def test_round_off_peaks_of_a_periodic_grid_are_not_genuine():
    x = np.linspace(-np.pi, np.pi, 64, endpoint=False)
    y = np.sin(x) + np.sin(3 * x)
    peaks = spectral.select_peaks(np.abs(np.fft.fft(y))[:20])
    genuine = spectral.genuine_peaks(y, peaks)
    np.testing.assert_array_equal(peaks[genuine], [1, 3])


def test_relative_error_forms():
    target = np.array([1 + 0j, 0 + 2j])
    output = np.array([-1 + 0j, 0 + 1j])
    # complex form sees the sign flip (error 2); the notebooks' magnitude form (docs/experiments.md#sources) does not (error 0)
    np.testing.assert_allclose(spectral.relative_spectral_error(output, target, "complex"), [2.0, 0.5])
    np.testing.assert_allclose(spectral.relative_spectral_error(output, target, "magnitude"), [0.0, 1 / (2 + 1e-5)], rtol=1e-9)
    with pytest.raises(ValueError):
        spectral.relative_spectral_error(output, target, "other")


def test_steps_to_threshold_rules():
    steps = np.arange(40)
    errors = np.ones(40)
    errors[5:16] = 0.05  # an early coincidental dip of 11 steps
    errors[30:] = 0.01
    assert spectral.steps_to_threshold(errors, steps, 0.1, "consecutive") == 5
    assert spectral.steps_to_threshold(errors, steps, 0.1, "robust") == 30
    assert spectral.steps_to_threshold(np.ones(5), np.arange(5), 0.1) is None
    assert spectral.steps_to_threshold(np.zeros(5), np.arange(5) * 10, 0.1) == 0
    assert spectral.steps_to_threshold(np.array([]), np.array([]), 0.1) is None


def test_an_error_equal_to_epsilon_has_not_converged():
    # converged means *below* the threshold, under either rule; equal is not below
    steps = np.arange(5) * 10
    errors = np.array([0.5, 0.1, 0.1, 0.05, 0.05])
    assert spectral.steps_to_threshold(errors, steps, 0.1, "robust") == 30
    assert spectral.steps_to_threshold(errors, steps, 0.1, "consecutive", run_length=2) == 30
    assert spectral.steps_to_threshold(np.full(5, 0.1), steps, 0.1) is None
    assert spectral.convergence_steps(np.array([[0.5, 0.5], [0.05, 0.1]]), np.array([0, 10]), 0.1) == [10, None]


def test_spearman_summarises_the_order():
    assert spectral.spearman([1, 3, 5], [10, 200, 900], never=1000) == pytest.approx(1.0)
    assert spectral.spearman([1, 3, 5], [900, 200, 10], never=1000) == pytest.approx(-1.0)
    assert spectral.spearman([1, 3, 5], [10, None, None], never=1000) == pytest.approx(np.sqrt(0.75))
    assert spectral.spearman([1], [10], never=1000) is None
    assert spectral.spearman([1, 3], [None, None], never=1000) is None
