"""The command line's refusals in the language of ``--lang`` (English without it): one line, the
setting and the value named, the ``error:`` prefix scripts look for kept in both."""

from __future__ import annotations

import pytest

from fpengine.cli import main


@pytest.mark.parametrize(
    "command, english, chinese",
    [
        (["run", "equal-amplitude", "--out", "{out}", "--set", "training.steps=-5"], "must be a whole number", "须为区间"),
        (["sweep", "sine-fit", "--out", "{out}", "--set", "training.lr=-1"], "must be a number", "须为区间"),
    ],
)
def test_a_refusal_is_in_the_language_of_lang(command, english, chinese, tmp_path, capsys):
    args = [arg.replace("{out}", str(tmp_path / "out")) for arg in command]
    for extra, wanted, unwanted in (([], english, chinese), (["--lang", "zh"], chinese, english)):
        assert main([*args, *extra]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and wanted in err and unwanted not in err and err.count("\n") == 1, err
        assert "-5" in err or "-1" in err
    assert not (tmp_path / "out").exists()  # refused before anything was written
