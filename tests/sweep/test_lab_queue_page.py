"""The Lab shows a sweep's place in line when the server's sweeps are all training (issue 20,
finding 4), and a refused Start is one line on the page."""

from __future__ import annotations

from fpengine.sweep.background import SweepStatus
from tests.conftest import wait_until
from tests.sweep.test_lab_page import PAGE, lab, small_frequency_sweep  # noqa: F401  (lab: the fixture)
from ui.lab import sweep_manager


def test_a_second_visitors_sweep_waits_in_line_and_the_page_says_where(lab, app_test, monkeypatch):  # noqa: F811
    monkeypatch.setenv("FPENGINE_MAX_SWEEPS", "1")
    first = lab()
    small_frequency_sweep(first, values="[1,2],[1,3],[1,4],[1,5],[1,6],[1,7]", steps=3000)
    first.button(key="lab.start").click().run()
    second = app_test()
    second.run()
    second.switch_page(PAGE).run()
    small_frequency_sweep(second, values="[1,2],[1,3]", steps=300)
    second.button(key="lab.start").click().run()
    sweeps = sorted(sweep_manager().sweeps(), key=lambda sweep: sweep.created)
    assert len(sweeps) == 2 and sweeps[1].progress().status is SweepStatus.QUEUED
    second.run()
    assert not second.exception
    assert "Waiting for its turn" in second.get("progress")[0].proto.text
    notes = [info.value for info in second.info]
    assert any("number 1 in line" in note and "FPENGINE_MAX_SWEEPS" in note for note in notes), notes
    sweeps[0].stop()
    wait_until(lambda: sweeps[1].progress().status is not SweepStatus.QUEUED, timeout=60)
    sweeps[1].stop()
