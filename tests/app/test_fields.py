"""The pages' field declarations (ui/fields.py): each names a declared setting and texts the catalogue
has in both languages; a config is rebuilt from dotted paths."""

from __future__ import annotations

import importlib

import pytest

from fpengine.beyond_gd.settings import BeyondConfig
from fpengine.highdim.settings import FilteringConfig, ProjectionConfig, ProjectionSpectrumConfig
from fpengine.i18n import catalog
from fpengine.image.settings import ImageFitConfig
from fpengine.oned.settings import OneDConfig
from fpengine.readout.settings import GridConfig, SpectrumConfig
from fpengine.settings.blocks import NetworkConfig, TrainingConfig
from fpengine.settings.schema import rule_of
from ui.fields import Field, value_at, with_values

# each module's fields, and the configs their paths are relative to (a path names a setting of one of them)
MODULES = {
    "ui.controls": (NetworkConfig, TrainingConfig, GridConfig, SpectrumConfig, OneDConfig),
    "ui.highdim": (ProjectionConfig,),
    "ui.image_fit": (ImageFitConfig,),
    "ui.beyond_gd": (BeyondConfig,),
    "ui.projection": (ProjectionSpectrumConfig,),
    "ui.filtering": (FilteringConfig,),
}


def declared_fields():
    for module_name, configs in MODULES.items():
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            for spec in value if isinstance(value, tuple) else (value,):
                if isinstance(spec, Field):
                    yield pytest.param(spec, configs, id=f"{module_name}.{name}.{spec.path}")


@pytest.mark.parametrize(("spec", "configs"), list(declared_fields()))
def test_every_field_names_a_declared_setting_and_texts_in_both_languages(spec: Field, configs):
    path = f"{spec.path}.bfgs" if spec.path == "iterations" else spec.path  # a cap per method, chosen on the page
    rules = []
    for config in configs:
        try:
            rules.append(rule_of(config, path))
        except (KeyError, TypeError):
            continue
    assert rules, f"{spec.path} is no declared setting of {[c.__name__ for c in configs]}"
    choices = getattr(rules[0], "choices", ())
    option_keys = [f"{spec.options_label}.{choice}" for choice in choices] if spec.options_label else []
    for key in filter(None, (spec.label, spec.help, *option_keys)):
        english, chinese = catalog()[key]
        assert english and chinese, key


def test_the_declared_fields_are_found():
    assert len(list(declared_fields())) > 40


def test_with_values_replaces_settings_by_their_dotted_paths():
    base = ImageFitConfig()
    changed = with_values(base, {"seed": 7, "training.lr": 0.5, "encoding.kind": "fourier", "encoding.scales": 3})
    assert (changed.seed, changed.training.lr, changed.encoding.kind, changed.encoding.scales) == (7, 0.5, "fourier", 3)
    assert changed.training.steps == base.training.steps and changed.network == base.network
    assert value_at(changed, "encoding.kind") == "fourier" and base.encoding.kind != "fourier"
