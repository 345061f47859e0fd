import json

import pytest

from fpengine.config import ConfigError, apply_override, from_dict, to_dict
from fpengine.experiments import EXPERIMENTS
from fpengine.experiments.oned import OneDConfig


@pytest.mark.parametrize("name", ["sine-fit", "staircase", "equal-amplitude"])
@pytest.mark.parametrize("preset", ["quick", "book"])
def test_presets_are_valid_and_round_trip_through_json(name, preset):
    config = EXPERIMENTS[name].default_config(preset)
    config.validate()
    data = json.loads(json.dumps(to_dict(config)))
    assert from_dict(OneDConfig, data) == config


def test_book_presets_are_the_authors_settings():
    book = EXPERIMENTS["equal-amplitude"].default_config("book")
    assert (book.grid.lo, book.grid.hi, book.grid.samples) == (-3.1415, 3.1415, 600)
    assert book.network.widths == (200, 200, 200, 100)
    assert book.training.lr == 1e-4
    assert EXPERIMENTS["sine-fit"].default_config("book").training.lr == 3e-5


def test_overrides_parse_by_field_type():
    config = EXPERIMENTS["equal-amplitude"].default_config()
    config = apply_override(config, "target.frequencies", "1,3,5,7")
    config = apply_override(config, "target.amplitudes", "1, 1, 1, 0.5")
    config = apply_override(config, "training.steps", "123")
    config = apply_override(config, "grid.periodic", "true")
    config = apply_override(config, "target.formula", "sin(x)+0.5*sin(3*x)")
    assert config.target.frequencies == (1.0, 3.0, 5.0, 7.0)
    assert config.target.amplitudes == (1.0, 1.0, 1.0, 0.5)
    assert config.training.steps == 123 and config.grid.periodic is True
    assert config.target.formula == "sin(x)+0.5*sin(3*x)"
    config.validate()


@pytest.mark.parametrize("key, value, message", [
    ("training.stepz", "10", "training.stepz: unknown setting"),
    ("nope", "1", "nope: unknown setting"),
    ("training.steps", "ten", "training.steps: expected a whole number"),
    ("grid.periodic", "maybe", "grid.periodic: expected true or false"),
    ("training", "1", "is a group"),
])
def test_bad_overrides_name_the_setting(key, value, message):
    with pytest.raises(ConfigError, match=message):
        apply_override(EXPERIMENTS["sine-fit"].default_config(), key, value)


@pytest.mark.parametrize("key, value, message", [
    ("training.lr", "-1", "training.lr"),
    ("training.steps", "0", "training.steps"),
    ("network.widths", "0,10", "network.widths"),
    ("network.activation", "swish", "network.activation"),
    ("grid.hi", "-10", "grid.hi"),
    ("target.amplitudes", "1,1", "one amplitude per frequency"),
    ("target.formula", "__import__('os')", "target.formula"),
    ("spectrum.peaks", "45", "spectrum.peaks"),
    ("spectrum.n_freq", "100000", "spectrum.n_freq"),
])
def test_validation_messages_name_the_setting(key, value, message):
    config = apply_override(EXPERIMENTS["equal-amplitude"].default_config(), key, value)
    with pytest.raises(ConfigError, match=message):
        config.validate()


def test_from_dict_rejects_unknown_and_mistyped_values():
    data = to_dict(EXPERIMENTS["sine-fit"].default_config())
    with pytest.raises(ConfigError, match="unknown setting"):
        from_dict(OneDConfig, {**data, "extra": 1})
    data["training"]["steps"] = "many"
    with pytest.raises(ConfigError, match="training.steps"):
        from_dict(OneDConfig, data)


def test_tracking_an_index_where_the_target_has_no_energy_is_refused():
    config = apply_override(EXPERIMENTS["equal-amplitude"].default_config(), "grid.periodic", "true")
    config = apply_override(config, "spectrum.peaks", "1,2")
    with pytest.raises(ConfigError, match="zero target amplitude"):
        config.validate()
