"""The 2-D image fit: coordinate grids and encodings, and the F-Principle on the zone plate."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fpengine import encodings
from fpengine.models import parameter_count


def test_coordinate_grid_runs_row_by_row_over_the_square():
    grid = encodings.coordinate_grid(3, 4, scale=2.0)
    assert grid.shape == (12, 2) and grid.dtype == np.float32
    np.testing.assert_allclose(grid[0], [-2, -2])          # top-left pixel
    np.testing.assert_allclose(grid[3], [2, -2])           # top-right
    np.testing.assert_allclose(grid[-1], [2, 2])           # bottom-right
    np.testing.assert_allclose(grid[4 * 1 + 2], [2 / 3, 0])  # row 1, column 2
    x_of_pixel, y_of_pixel = grid[:, 0].reshape(3, 4), grid[:, 1].reshape(3, 4)  # picture.reshape order
    assert np.all(np.diff(x_of_pixel, axis=1) > 0) and np.all(np.diff(x_of_pixel, axis=0) == 0)
    assert np.all(np.diff(y_of_pixel, axis=0) > 0) and np.all(np.diff(y_of_pixel, axis=1) == 0)


def test_training_mask_holds_out_every_second_column():
    mask = encodings.training_mask(3, 5, hold_out_odd_columns=True).reshape(3, 5)
    np.testing.assert_array_equal(mask[0], [True, False, True, False, True])
    assert mask.sum() == 9
    assert encodings.training_mask(3, 5, hold_out_odd_columns=False).all()


def test_fourier_features_are_unit_cos_sin_pairs_of_gaussian_frequencies():
    frequencies = encodings.fourier_frequencies(4000, 2, sigma=3.0, seed=7)
    assert frequencies.shape == (4000, 2)
    assert frequencies.std() == pytest.approx(3.0, rel=0.05)
    np.testing.assert_array_equal(frequencies, encodings.fourier_frequencies(4000, 2, 3.0, 7))
    assert not np.allclose(frequencies, encodings.fourier_frequencies(4000, 2, 3.0, 8))
    grid = encodings.coordinate_grid(5, 6)
    features = encodings.fourier_features(grid, frequencies[:16])
    assert features.shape == (30, 32) and features.dtype == np.float32
    np.testing.assert_allclose(features[:, :16] ** 2 + features[:, 16:] ** 2, 1, atol=1e-6)
    b = frequencies[3]
    np.testing.assert_allclose(features[:, 3], np.cos(2 * np.pi * grid @ b), atol=1e-5)
    with pytest.raises(ValueError):
        encodings.fourier_frequencies(0, 2, 1.0, 0)
    with pytest.raises(ValueError):
        encodings.fourier_frequencies(8, 2, 0.0, 0)


def test_multiscale_layer_scales_the_input_of_each_neuron_group():
    assert encodings.scale_factors(4) == (1.0, 2.0, 4.0, 8.0)
    torch.manual_seed(0)
    layer = encodings.MultiScaleLinear(2, 10, scales=(1.0, 2.0, 4.0))
    np.testing.assert_array_equal(layer.neuron_scale.numpy()[0], [1, 1, 1, 1, 2, 2, 2, 4, 4, 4])
    v = torch.randn(7, 2)
    out = layer(v)
    weight, bias = layer.linear.weight, layer.linear.bias
    torch.testing.assert_close(out[:, :4], v @ weight[:4].T + bias[:4])
    torch.testing.assert_close(out[:, 4:7], (2 * v) @ weight[4:7].T + bias[4:7])
    torch.testing.assert_close(out[:, 7:], (4 * v) @ weight[7:].T + bias[7:])
    with pytest.raises(ValueError):
        encodings.MultiScaleLinear(2, 2, scales=(1.0, 2.0, 4.0))
    with pytest.raises(ValueError):
        encodings.scale_factors(0)


def test_coordinate_network_plain_and_multiscale():
    plain = encodings.coordinate_network(2, (16, 8), 3, "relu")
    assert isinstance(plain[0], torch.nn.Linear)
    multiscale = encodings.coordinate_network(2, (16, 8), 3, "relu", scales=(1.0, 2.0))
    assert isinstance(multiscale[0], encodings.MultiScaleLinear)
    assert parameter_count(plain) == parameter_count(multiscale) == 2 * 16 + 16 + 16 * 8 + 8 + 8 * 3 + 3
    assert multiscale(torch.zeros(5, 2)).shape == (5, 3)
