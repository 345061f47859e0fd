"""The layers of ARCHITECTURE.md, checked on the import graph of ``fpengine/``, ``ui/``, ``app_pages/``
and ``app.py`` read with ``ast`` (imports inside functions count): no import cycle, and each module
imports only its own layer and the ones below it. From the bottom: i18n, the primitives, settings,
the run engine (and what reads its snapshots), the 1-D read-out, the chapter's sections (none
imports another), the registry, the sweep and the command line, ui, the pages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

SECTIONS = ("oned", "image", "highdim", "beyond_gd")
LAYERS = (
    ("i18n", ("fpengine.i18n",)),
    ("primitives", tuple(f"fpengine.{name}" for name in ("spectral", "models", "optimizers", "formula"))),
    ("settings", ("fpengine.settings",)),
    ("engine", ("fpengine.engine", *(f"fpengine.{name}" for name in ("charts", "export", "retention", "replay", "views")))),
    ("read-out", ("fpengine.readout",)),
    ("sections", tuple(f"fpengine.{name}" for name in SECTIONS)),
    ("registry", ("fpengine.registry",)),
    ("sweep and CLI", ("fpengine.sweep", "fpengine.bench", "fpengine.cli", "fpengine.__main__")),
    ("ui", ("ui",)),
    ("pages", ("app_pages", "app")),
)
GENERIC_UI = ("ui.lab", "ui.controls", "ui.views", "ui.common", "ui.run_panel", "ui.links")
"""The ui modules every page shares: they reach a section only through the registry."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_of(path: Path) -> str:
    name = module_name(path)
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def sources() -> dict[str, Path]:
    paths = [*ROOT.glob("fpengine/**/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("app_pages/*.py"), ROOT / "app.py"]
    return {module_name(path): path for path in paths}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The app's modules ``path`` imports, anywhere in it (``from a import b``: a.b when that is a module)."""
    found = set()
    package = package_of(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return {name for name in found if name in known}


def import_graph() -> dict[str, set[str]]:
    modules = sources()
    known = set(modules)
    return {name: imports_of(path, known) - {name} for name, path in modules.items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def layer_of(name: str) -> int:
    """The index in LAYERS of the most specific layer holding ``name`` (the longest prefix)."""
    if name == "fpengine":
        return 0  # the package itself: its version
    matches = [(len(prefix), rank) for rank, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes if within(name, (prefix,))]
    assert matches, f"{name} is in no layer: add it to LAYERS (and to ARCHITECTURE.md)"
    return max(matches)[1]


def section_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if parts[0] == "fpengine" and len(parts) > 1 and parts[1] in SECTIONS else None


GRAPH = import_graph()


def test_the_graph_is_read():
    assert "fpengine.readout.settings" in GRAPH["fpengine.oned.settings"]
    assert "fpengine.i18n" in GRAPH["fpengine.settings.schema"]
    assert "fpengine.registry" in GRAPH["fpengine.sweep.cell"]
    # an import inside a function counts
    inside = {name for name, path in sources().items() if "\n    from fpengine" in path.read_text(encoding="utf-8")}
    assert inside, "no import inside a function left to check the reader on"


def test_no_import_cycle():
    cycles = [sorted(component) for component in strongly_connected(GRAPH) if len(component) > 1]
    assert not cycles, cycles


def test_no_section_imports_another():
    crossing = sorted(
        f"{name} → {target}"
        for name, targets in GRAPH.items()
        for target in targets
        if section_of(name) and section_of(target) and section_of(name) != section_of(target)
    )
    assert not crossing, crossing


@pytest.mark.parametrize("low", ["fpengine.i18n", "fpengine.settings"])
def test_i18n_and_settings_import_no_section_nor_the_registry(low):
    reaching = sorted(
        f"{name} → {target}"
        for name, targets in GRAPH.items()
        if within(name, (low,))
        for target in targets
        if section_of(target) or within(target, ("fpengine.registry",))
    )
    assert not reaching, reaching


def test_the_shared_ui_imports_no_section():
    reaching = sorted(f"{name} → {target}" for name in GENERIC_UI for target in GRAPH[name] if section_of(target))
    assert not reaching, reaching


def test_every_import_goes_down_the_layers():
    upward = sorted(
        f"{name} ({LAYERS[layer_of(name)][0]}) → {target} ({LAYERS[layer_of(target)][0]})"
        for name, targets in GRAPH.items()
        for target in targets
        if layer_of(target) > layer_of(name)
    )
    assert not upward, upward
