"""A page's setup in the address bar, so that a link shares it.

Every setting (``ui.controls.linked``: the settings widgets, the preset, the target designer's
components, the tracked peaks, the view options) keeps its value in the URL while it differs from
the page's preset, under the setting's own name (``?lr=0.001&widths=64,64``), so links stay short.
A page's first run in a browser session reads them back before its widgets are drawn: opening a
link restores its setup, before any run. After that the URL only follows the widgets. A parameter
the page does not know, or a value it cannot use, is ignored and named in one notice.

Streamlit's own ``bind="query-params"`` is not used: the widgets here are keyed per language
(``ui.common.widget``) and start from the preset through session state, so the binding would name
parameters after the language's widget key, compare against the widget's built-in default rather
than the preset, write translated option labels and drop a bad value without a word.

Run ids (``run``, ``runs``, ``sweep``) stay in the address bar, where a refresh finds them, but the
copied link carries settings only; nothing of a visitor's own photo is ever a setting.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from .common import CLASSROOM_KEY, LANG_KEY, lang, tr

RUN_PARAMS = ("run", "runs", "sweep")
"""Where a page finds its run again after a refresh: kept in the address bar, never in a shared link."""
RESERVED = (LANG_KEY, CLASSROOM_KEY, *RUN_PARAMS)
MAX_SHOWN_VALUE = 40
MAX_TEXT = 500
"""The longest text a link may give a text input without a length of its own."""

_PAGE = "_links.page"
_FIELDS = "_links.fields"
_READ = "_links.read"
_SEEN = "_links.seen"
_IGNORED = "_links.ignored"
_NOTICE = "_links.notice"


def text_of(value: Any) -> str:
    """A setting's value as it stands in a link: 1/0 for a switch, the shortest exact text of a
    number, items joined by commas."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        short = f"{value:g}"
        return short if float(short) == value else repr(value)
    if isinstance(value, (list, tuple)):
        return ",".join(map(text_of, value))
    return str(value)


def setting_values(data: dict[str, Any]) -> dict[str, str]:
    """A config's settings (``to_dict``) as a page's linked widgets hold them: each under its own
    name (the last part of its key), as text (``text_of``)."""
    values: dict[str, str] = {}

    def walk(group: dict[str, Any]) -> None:
        for name, value in group.items():
            if isinstance(value, dict):
                walk(value)
            else:
                values[name] = text_of(value)

    walk(data)
    return values


def parse_flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "on", "yes"):
        return True
    if lowered in ("0", "false", "off", "no"):
        return False
    raise ValueError(text)


def parse_number(text: str, kind: type, low: float | None = None, high: float | None = None) -> float:
    """A whole number (``kind`` int) or a finite number within [low, high]; ValueError otherwise."""
    value = kind(text.strip())
    if not math.isfinite(value) or (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(text)
    return value


def _page() -> str:
    return st.session_state.get(_PAGE, "")


def _reading() -> bool:
    """Whether this run is the page's first in the session: the one that reads a link."""
    return _page() not in st.session_state.get(_READ, set())


def begin(page: str) -> None:
    """Start a script run of ``page``; call before the page draws any setting."""
    st.session_state[_PAGE] = page
    st.session_state[_FIELDS] = {}
    st.session_state[_SEEN] = set()
    st.session_state[_IGNORED] = []


def restore(param: str, parse: Callable[[str], Any]) -> Any:
    """On the page's first run, the link's value of ``param`` parsed by ``parse`` (which raises
    ValueError for a value the setting cannot take); None when there is none to use."""
    if not _reading() or param not in st.query_params:
        return None
    text = st.query_params[param]
    st.session_state.setdefault(_SEEN, set()).add(param)
    try:
        return parse(text)
    except (ValueError, TypeError, KeyError):
        st.session_state.setdefault(_IGNORED, []).append(f"{param}={text}")
        return None


def ignore(param: str, text: str) -> None:
    """On the page's first run, name ``param=text`` in the notice of what the link had that the page
    could not use (a run id too many)."""
    if _reading():
        st.session_state.setdefault(_IGNORED, []).append(f"{param}={text}")


def keep(param: str, text: str, preset: str) -> None:
    """Record a setting for the address bar: its value's link text and the preset's."""
    st.session_state.setdefault(_FIELDS, {})[param] = (text, preset)


def follow(param: str, text: str, preset: str) -> None:
    """:func:`keep`, and the address bar follows at once: for a widget of a live fragment, whose
    change reruns the fragment but not the page, so not :func:`finish`."""
    keep(param, text, preset)
    if text != preset:
        st.query_params[param] = text
    elif param in st.query_params:
        del st.query_params[param]


def settings() -> dict[str, str]:
    """The page's settings that differ from the preset, as they stand in a link."""
    return {param: text for param, (text, preset) in st.session_state.get(_FIELDS, {}).items() if text != preset}


def share_params() -> dict[str, str]:
    """What a shared link carries: the settings, and the visitor's language and classroom mode."""
    params = settings()
    if lang() != "en":
        params[LANG_KEY] = lang()
    if st.session_state.get(CLASSROOM_KEY):
        params[CLASSROOM_KEY] = "1"
    return params


def share_link(params: dict[str, str]) -> str:
    """The page's own address (as the browser sees it) with ``params``."""
    query = urlencode(params, safe=",:()*")
    base = st.context.url or ""
    return f"{base}?{query}" if query else base


def _shown(item: str) -> str:
    """A link's ``param=value`` as the notice shows it: shortened, and as code, so that whatever a
    link holds is never drawn as Markdown (a link, a picture from elsewhere)."""
    short = item if len(item) <= MAX_SHOWN_VALUE else item[: MAX_SHOWN_VALUE - 1] + "…"
    return "`" + short.replace("`", "'") + "`"


def ignored_notice(ignored: list[str]) -> str:
    """The one notice of what a link had that the page could not use (``param=value`` items)."""
    return tr("link.ignored", params=", ".join(map(_shown, ignored)))


def finish(notice_area: Any, link_area: Any) -> None:
    """After the page ran: name what the link had that the page could not use (once, in
    ``notice_area``), put the settings that differ from the preset in the address bar, and offer
    the link to this setup in ``link_area`` on a page with settings."""
    fields = st.session_state.get(_FIELDS, {})
    wanted = {key: st.query_params[key] for key in RESERVED if key in st.query_params}
    wanted.update(settings())
    if _reading():
        seen = st.session_state.get(_SEEN, set())
        ignored = list(st.session_state.get(_IGNORED, []))
        ignored += [f"{key}={st.query_params[key]}" for key in st.query_params if key not in RESERVED and key not in seen]
        st.session_state.setdefault(_READ, set()).add(_page())
        st.session_state[_NOTICE] = (_page(), ignored, wanted) if ignored else None
    notice = st.session_state.get(_NOTICE)
    if notice is not None:
        page, ignored, as_read = notice
        if page == _page() and as_read == wanted:  # shown until the visitor changes the setup
            notice_area.warning(ignored_notice(ignored), icon="🔗")
        else:
            st.session_state[_NOTICE] = None
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
    if fields:
        with link_area.expander(tr("link.copy"), icon=":material/link:"):
            # plain text, selectable: st.code's copy button would load its syntax highlighter (1.5 MB of
            # JavaScript) into every page: ~0.85 of the browser's ~5.7 CPU-s per page load (docs/development.md)
            st.text(share_link(share_params()))
            st.caption(tr("link.copy_help"))
