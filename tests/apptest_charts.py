"""Reading the charts an AppTest page drew: a chart's Vega-Lite spec and data by its title."""

from __future__ import annotations

import json

import pyarrow as pa


def _titles(spec: dict) -> list[str]:
    titles = [part.get("title") for part in (spec, *spec.get("layer", ()))]
    return [str(named.get("text") if isinstance(named, dict) else named) for named in titles if named]


def charts(at, title: str) -> list[tuple[dict, list[pa.Table]]]:
    """Spec and datasets of every chart whose title starts with ``title``, in page order."""
    found = []
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        if any(text.startswith(title) for text in _titles(spec)):
            found.append((spec, [pa.ipc.open_stream(d.data.data).read_all() for d in element.proto.datasets]))
    return found


def chart(at, title: str) -> tuple[dict, list[pa.Table]]:
    """The first chart whose title starts with ``title``."""
    found = charts(at, title)
    assert found, f"no chart titled {title!r}"
    return found[0]


def series(tables: list[pa.Table], name: str) -> list[float]:
    """The y values of the curve ``name`` of a curves chart (its other layers' data left out)."""
    frame = pa.concat_tables([table for table in tables if "series" in table.column_names]).to_pandas()
    return frame[frame["series"] == name]["y"].tolist()


def cursor(tables: list[pa.Table]) -> float | None:
    """Where a heatmap's replay cursor stands (None: no cursor)."""
    cursors = [table.column("cursor")[0].as_py() for table in tables if "cursor" in table.column_names]
    return cursors[0] if cursors else None
