"""An experiment's snapshot views, declared once: each a name and a type. The engine publishes
under these names, the charts, the summary, the pages and the replay read by them, so a name is
written in one place and a renamed view cannot leave a reader behind.

    class OutputViews(Views):
        x_plot: np.ndarray
        output_plot: np.ndarray

    snapshot.views[OutputViews.x_plot]   # "x_plot"

A declaration may extend others (the views several experiments share), and lists the names earlier
versions published under in ``ALIASES`` (old name → name), which the reader of a saved run accepts.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, ClassVar


class View(str):
    """A view's name (what a snapshot's ``views`` is keyed by), with its declared type."""

    kind: str

    def __new__(cls, name: str, kind: Any = "") -> View:
        view = super().__new__(cls, name)
        view.kind = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
        return view

    def __reduce__(self) -> tuple[type, tuple[str]]:
        # a plain string across a process boundary (a sweep worker's snapshot): only the name is data
        return str, (str(self),)


class Views:
    """The base of a declaration: every annotated class attribute (not a ClassVar) is a view of
    that name and type."""

    ALIASES: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **options: Any) -> None:
        super().__init_subclass__(**options)
        for name, kind in inspect.get_annotations(cls).items():
            if not str(kind).startswith(("ClassVar", "typing.ClassVar")):
                setattr(cls, name, View(name, kind))

    @classmethod
    def declared(cls) -> dict[str, View]:
        """Name → view, this declaration's and those it extends."""
        found: dict[str, View] = {}
        for klass in reversed(cls.__mro__):
            found.update({name: value for name, value in vars(klass).items() if isinstance(value, View)})
        return found

    @classmethod
    def aliases(cls) -> dict[str, str]:
        merged: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            merged.update(vars(klass).get("ALIASES", {}))
        return merged

    @classmethod
    def undeclared(cls, views: Mapping[str, Any]) -> list[str]:
        """The names in ``views`` that this declaration does not declare."""
        declared = cls.declared()
        return sorted(name for name in views if name not in declared)


def renamed(views: Mapping[str, Any], aliases: Mapping[str, str]) -> dict[str, Any]:
    """``views`` with each old name (``aliases``: old → new) read as its new one (a saved run of an
    earlier version); a view saved under both keeps the new name's."""
    result = dict(views)
    for old, new in aliases.items():
        if old in result:
            value = result.pop(old)
            result.setdefault(new, value)
    return result
