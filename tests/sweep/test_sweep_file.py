"""A hostile ``sweep.json`` given to ``fpengine sweep`` goes through the command line's validation:
one line, exit 2, nothing trained (issue 20, finding 11). The command's main in this process, and one
real process (its exit code and stderr)."""

from __future__ import annotations

import json

import pytest

from fpengine.sweep.definition import define_sweep, load_definition
from tests.cli_helpers import assert_refused, cli_here
from tests.sweep.test_sweep import SMALL, sweep_cli


def valid() -> dict:
    return define_sweep("sine-fit", overrides=SMALL, grid=("target.frequencies=1,2",), seeds=2).to_json()


def with_grid(values) -> dict:
    return {**valid(), "grid": {"target.frequencies": values}}


HOSTILE = {
    "grid value a list": (with_grid([[1, 2], "3"]), ["target.frequencies", "[1, 2]"]),
    "grid value null": (with_grid([None]), ["target.frequencies", "null"]),
    "grid value an object": (with_grid([{"a": 1}]), ["target.frequencies", '{"a": 1}']),
    "grid value true": (with_grid([True]), ["target.frequencies", "true"]),
    "grid axis not a list": (with_grid("1,2"), ["target.frequencies", '"1,2"']),
    "grid not an object": ({**valid(), "grid": [["target.frequencies", ["1"]]]}, ['"grid"']),
    "base_config a list": ({**valid(), "base_config": [1, 2]}, ['"base_config"', "[1, 2]"]),
    "base_config a number in a block": ({**valid(), "base_config": {"network": 5}}, ["base_config"]),
    "a seed axis in the grid": ({**valid(), "grid": {"seed": ["1", "2"]}}, ["grid seed", '"seeds"']),
    "a grid value twice": (with_grid(["1", "1"]), ["target.frequencies", "twice"]),
    "a grid value twice as text and number": (with_grid(["1", 1]), ["target.frequencies", "twice"]),
    "an empty grid value": (with_grid(["1", " "]), ["target.frequencies", '" "']),
    "an empty axis": (with_grid([]), ["target.frequencies", "no values"]),
    "a seed twice": ({**valid(), "seeds": [0, 0]}, ["seed 0", "twice"]),
    "a float seed": ({**valid(), "seeds": [0, 1.5]}, ['"seeds"', "1.5"]),
    "a negative seed": ({**valid(), "seeds": [-1]}, ['"seeds"', "-1"]),
    "seeds not a list": ({**valid(), "seeds": 3}, ['"seeds"', "3"]),
    "no seeds": ({**valid(), "seeds": []}, ["seeds"]),
    "experiment not text": ({**valid(), "experiment": ["sine-fit"]}, ['"experiment"']),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_definition_file_in_process(tmp_path, name):
    """Every case, fast: the same refusal without a process (the subprocess test below runs a few)."""
    from fpengine.sweep.definition import SweepError

    data, named = HOSTILE[name]
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SweepError) as refused:
        load_definition(str(path))
    message = refused.value.message()
    assert "\n" not in message and str(path) in message, message
    for part in named:
        assert part in message, message
    assert "\n" not in refused.value.message("zh") and str(path) in refused.value.message("zh")


@pytest.mark.parametrize(
    "name", ["grid value a list", "grid value null", "base_config a list", "a seed axis in the grid", "a float seed", "an empty axis"]
)
def test_a_hostile_definition_file_is_one_line_and_exit_2(tmp_path, name):
    """The command's ``main`` in this process: what it says and returns (an exception escapes and
    fails the test); the real process's exit code and stderr are the next test's."""
    data, named = HOSTILE[name]
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(data))
    assert_refused(cli_here("sweep", str(path), "--out", str(tmp_path / "out"), "--quiet"), str(path), *named)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_a_real_process_refuses_a_hostile_definition_file_in_one_line(tmp_path):
    data, named = HOSTILE["a float seed"]
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(data))
    result = sweep_cli(str(path), "--out", str(tmp_path / "out"), "--quiet", timeout=300)
    assert_refused(result, str(path), *named)
    assert not (tmp_path / "out").exists()


def test_a_valid_file_still_loads_and_numbers_are_taken_as_typed(tmp_path):
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(with_grid([1, "2"])))
    definition = load_definition(str(path))
    assert definition.grid == (("target.frequencies", ("1", "2")),) and definition.seeds == (0, 1)
    path.write_text(json.dumps(valid()))
    assert load_definition(str(path)).to_json() == valid()
