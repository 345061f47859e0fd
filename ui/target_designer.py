"""The 1-D target designer (sine components or a typed formula, optional quantisation), its
instant preview, and the choice of tracked peaks. Shared by every 1-D page and the Sec 1.6 page."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np
import streamlit as st

from fpengine import charts
from fpengine.formula import FormulaError, compile_formula, signatures
from fpengine.i18n import explain, t
from fpengine.readout.analysis import TargetAnalysis, analyse_target
from fpengine.readout.settings import ReadoutConfig
from fpengine.readout.targets import TargetConfig
from fpengine.settings.schema import ConfigError, rule_of, validate

from . import links
from .common import chart_spec, lang, show_spec, tr
from .fields import Field, SettingError, field, mode_radio, setting_widget

AMPLITUDE_SLIDER = (-2.0, 2.0)
"""The amplitude slider's span: the designer's range, narrower than what the setting accepts."""
PHASE_SPAN = (-np.pi, np.pi)
"""A phase beyond ±π is the same as one within it."""


def components_of(base: TargetConfig) -> list[dict[str, float]]:
    """A target's sine components as the designer holds them (its ``sines`` in a link)."""
    phases = base.phases or (0.0,) * len(base.frequencies)
    return [{"frequency": f, "amplitude": a, "phase": p} for f, a, p in zip(base.frequencies, base.amplitudes, phases, strict=True)] or [
        {"frequency": 1.0, "amplitude": 1.0, "phase": 0.0}
    ]


def sines_text(components: list[dict[str, float]]) -> str:
    """The components as a link has them: ``frequency:amplitude[:phase]``, comma-separated."""

    def item(component: dict[str, float]) -> str:
        parts = ("frequency", "amplitude", "phase") if component["phase"] else ("frequency", "amplitude")
        return ":".join(links.text_of(float(component[part])) for part in parts)

    return ",".join(map(item, components))


def readout_values(config: ReadoutConfig, data: dict[str, Any]) -> dict[str, str]:
    """The page values of a read-out config (``data``: its ``to_dict``, less what its page has no
    widget for) by link parameter: its settings by name, the designer's ``target_mode`` and ``sines``
    (or ``formula``), ``quantize`` and the Theory switch."""
    target = data.pop("target")
    values = links.setting_values(data)
    values["theory"] = links.text_of(config.theory == "ntk")
    values["quantize"] = links.text_of(float(target["quantize"]))
    if target["formula"]:
        values.update(target_mode="formula", formula=target["formula"])
    else:
        values.update(target_mode="sines", sines=sines_text(components_of(config.target)))
    return values


def parse_sines(text: str) -> list[dict[str, float]]:
    """A link's components (see :func:`sines_text`); ValueError unless the designer's widgets can
    show every one of them."""
    frequency = rule_of(TargetConfig, "frequencies")
    items = text.split(",")
    if not 1 <= len(items) <= frequency.max_length:
        raise ValueError(text)
    components = []
    for item in items:
        parts = item.split(":")
        if len(parts) not in (2, 3):
            raise ValueError(item)
        components.append(
            {
                "frequency": links.parse_number(parts[0], float, frequency.item.low, frequency.item.high),
                "amplitude": links.parse_number(parts[1], float, *AMPLITUDE_SLIDER),
                "phase": links.parse_number(parts[2], float, *PHASE_SPAN) if len(parts) == 3 else 0.0,
            }
        )
    return components


def _components(base: TargetConfig, key: str) -> list[dict[str, float]]:
    name = f"{key}.w.components"
    linked = links.restore("sines", parse_sines)
    if linked is not None:
        st.session_state[name] = linked
        for part in ("freq", "amp", "phase"):  # the component widgets start from the link's values
            for index in range(rule_of(TargetConfig, "frequencies").max_length):
                st.session_state.pop(f"{key}.w.{part}{index}", None)
    if name not in st.session_state:
        st.session_state[name] = components_of(base)
    return st.session_state[name]


QUANTIZE = Field("quantize", "staircase.quantize", help="staircase.quantize_help", step=0.5)


def target_designer(base: TargetConfig, key: str, show_quantize: bool = True) -> TargetConfig:
    """Widgets for the target; raises SettingError when the typed formula is not allowed."""
    st.subheader(tr("designer.title"))
    mode = mode_radio(key, "target_mode", "designer.mode", "formula" if base.formula else "sines", ["sines", "formula"], horizontal=True)
    quantize = base.quantize
    if show_quantize:
        quantize = field(key, base, QUANTIZE)
    if mode == "formula":
        text = setting_widget(
            key,
            "formula",
            st.text_input,
            tr("designer.formula"),
            base.as_formula(),
            accepts=compile_formula,
            help=tr("designer.formula_help", functions=signatures()),
            max_chars=rule_of(TargetConfig, "formula").max_length,
        )
        try:
            compile_formula(text)
        except FormulaError as error:
            raise SettingError(tr("designer.formula_error", detail=explain(error, lang()))) from None
        return TargetConfig(formula=text, quantize=float(quantize))

    components = _components(base, key)
    frequency = rule_of(TargetConfig, "frequencies")
    frequencies, amplitudes, phases = [], [], []
    for i, component in enumerate(components):
        columns = st.columns([1, 2, 1])
        frequencies.append(
            columns[0].number_input(
                tr("designer.frequency"),
                float(frequency.item.low),
                float(frequency.item.high),
                float(component["frequency"]),
                step=1.0,
                key=f"{key}.w.freq{i}",
            )
        )
        amplitudes.append(
            columns[1].slider(
                tr("designer.component", n=i + 1) + " · " + tr("designer.amplitude"),
                *AMPLITUDE_SLIDER,
                float(component["amplitude"]),
                step=0.05,
                key=f"{key}.w.amp{i}",
            )
        )
        phases.append(
            columns[2].number_input(tr("designer.phase"), *PHASE_SPAN, float(component["phase"]), step=0.1, key=f"{key}.w.phase{i}")
        )
        component.update(frequency=frequencies[-1], amplitude=amplitudes[-1], phase=phases[-1])
    links.keep("sines", sines_text(components), sines_text(components_of(base)))
    add, remove = st.columns(2)
    if add.button(tr("designer.add"), disabled=len(components) >= frequency.max_length, key=f"{key}.add"):
        highest = max(c["frequency"] for c in components)
        components.append({"frequency": highest + 2, "amplitude": 1.0, "phase": 0.0})
        st.rerun()
    if remove.button(tr("designer.remove"), disabled=len(components) <= 1, key=f"{key}.remove"):
        components.pop()
        st.rerun()
    return TargetConfig(
        frequencies=tuple(frequencies), amplitudes=tuple(amplitudes), phases=tuple(phases) if any(phases) else (), quantize=float(quantize)
    )


def peak_selector(config: ReadoutConfig, key: str) -> ReadoutConfig:
    """Preview the target and its spectrum; let the visitor choose which peaks ΔF tracks.
    Raises ConfigError when the target cannot be analysed on this grid."""
    validate(config.target, "target.")
    analysis = _analysis(_Readout(config.target, config.grid, config.spectrum))
    automatic = [int(k) for k in analysis.selected]
    candidates = [int(k) for k in analysis.peaks]
    labels = {
        int(k): (str(k) if real else tr("designer.side_lobe", k=int(k))) for k, real in zip(analysis.peaks, analysis.genuine, strict=True)
    }
    # the widget is keyed by the candidates and the automatic choice, so a new target (or a new
    # number of peaks tracked automatically) starts from its automatic choice
    name = f"{key}.peaks.{'-'.join(map(str, candidates))}.{'-'.join(map(str, automatic))}"
    linked = links.restore("peaks", lambda text: [candidates[candidates.index(int(k))] for k in text.split(",")])
    # the start value is the widget's default rather than a preset of its state, so whatever the
    # browser falls back to is a valid choice (a CI run once found the list empty, Start blocked,
    # after a click that interrupted the page's first run under load)
    choice = st.multiselect(
        tr("designer.peaks"), candidates, default=linked or automatic, format_func=labels.get, help=tr("designer.peaks_help"), key=name
    )
    if not choice:
        raise ConfigError("spectrum.peaks", "oned.error.no_peak_chosen")
    chosen = tuple(sorted(choice))
    links.keep("peaks", links.text_of(chosen), links.text_of(sorted(automatic)))
    spectrum = dataclasses.replace(config.spectrum, peaks=() if list(chosen) == automatic else chosen)
    config = dataclasses.replace(config, spectrum=spectrum)
    with st.expander(tr("designer.preview"), expanded=True):
        target_spec, spectrum_spec = _preview(_Readout(config.target, config.grid, config.spectrum), chosen, lang())
        left, right = st.columns(2)
        with left:
            show_spec(target_spec)
        with right:
            show_spec(spectrum_spec)
    return config


PREVIEWS_KEPT = 64
"""Targets whose analysis and preview charts the server keeps (a class on one page's default target
needs one): built once, not on every visitor's every page run. Building the two charts with Altair
held the server's GIL for ~0.1 s a page run, 14% of it while sixteen visitors pressed Start at once
(py-spy, scripts/bench_classroom.py), and the answers to every browser waited behind it."""


@dataclasses.dataclass(frozen=True)
class _Readout:
    """What the target's analysis reads of a page's config (hashable: the caches' key)."""

    target: TargetConfig
    grid: Any
    spectrum: Any


@functools.lru_cache(maxsize=PREVIEWS_KEPT)
def _analysis(readout: _Readout) -> TargetAnalysis:
    return analyse_target(readout)


@functools.lru_cache(maxsize=PREVIEWS_KEPT)
def _preview(readout: _Readout, chosen: tuple[int, ...], language: str) -> tuple[dict, dict]:
    """The target and its spectrum (the ``chosen`` peaks marked) as Vega-Lite specs, in ``language``;
    shared by every session, so never changed by whoever shows them."""
    analysis = _analysis(readout)
    target = t("chart.target", language)
    curve = charts.curves_chart(analysis.x, {target: analysis.y}, target, t("chart.x", language), t("chart.value", language), language)
    spectrum = charts.spectrum_chart(
        np.abs(analysis.coefficients), None, analysis.peaks, analysis.genuine, np.array(chosen), language, title=target + " |DFT|/N"
    )
    return chart_spec(curve), chart_spec(spectrum)
