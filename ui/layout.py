"""Where a page's parts stand. On a screen at arm's length a page reads top to bottom: its
explanation, its settings, its view options, its run. On a projector (classroom mode, a 1280×720
screen read from the back of a room) the learning comes first: a one-line title, the run's controls
and its key views without scrolling; the view options, the settings and the explanation after.
A page asks for its containers once (:func:`page_layout`) and fills them in any order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import streamlit as st

from .common import classroom_mode, tr


class Layout(NamedTuple):
    """The containers of a page's parts, in the order the mode shows them."""

    settings: Any
    """The page's own settings and what they say before a run (estimate, notices, previews)."""
    options: Any
    """The view options (log axis, colour map)."""
    run: Any
    """The run panel and the run's views."""


def page_layout(title_key: str, intro_key: str, notes: Sequence[str] = (), settings_first: bool = True) -> Layout:
    """The page's title and its parts' containers. Normal: the explanation and ``notes``, then the
    settings, view options and run (``settings_first``), or the options and run above the settings
    (a page whose settings are long: the 1-D designer). Classroom: the run, then the options, the
    settings and last the explanation."""
    st.title(tr(title_key))
    if classroom_mode():
        run, options, settings = st.container(), st.container(), st.container()
        with st.container():
            _explanation(intro_key, notes)
        return Layout(settings, options, run)
    _explanation(intro_key, notes)
    if settings_first:
        settings, options, run = st.container(), st.container(), st.container()
    else:
        options, run, settings = st.container(), st.container(), st.container()
    return Layout(settings, options, run)


def _explanation(intro_key: str, notes: Sequence[str]) -> None:
    st.markdown(tr(intro_key))
    for note in notes:
        st.info(tr(note))


def projector_first() -> tuple[Any, Any]:
    """Two containers ``(key, other)`` for two parts of a view, which a page fills in any order:
    ``other`` shows above ``key`` on a screen at arm's length, ``key`` above ``other`` in
    classroom mode (a chart above the choices or the text that go with it)."""
    top, bottom = st.container(), st.container()
    return (top, bottom) if classroom_mode() else (bottom, top)


def screen_height(chart: Any, classroom_height: int) -> Any:
    """``chart`` with its plot ``classroom_height`` px high in classroom mode, where it shares one
    720 px screen with the run's controls; as built elsewhere."""
    return chart.properties(height=classroom_height) if classroom_mode() else chart
