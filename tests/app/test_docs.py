"""The documents a newcomer reads: every relative link in README.md, ARCHITECTURE.md and docs/ leads
to a file that exists (and, with ``#anchor``, to a heading of it, slugged as GitHub does), the README
stays one screen, every doc is linked from it, and every ``FPENGINE_*`` setting the code reads is in
the classroom server's settings table."""

import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").rglob("*.md"))
DOCUMENTS = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", *DOCS]
README_MAX_LINES = 160

FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.DOTALL | re.MULTILINE)
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
# [text](target "title") and ![alt](target); the text may hold a nested ![image](…) or span lines
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$", re.MULTILINE)
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)
HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.IGNORECASE)
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)  # http:, https:, mailto: …


def prose(text: str) -> str:
    """The text without code: links inside code blocks and inline code are not links."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text (links and images reduced to their text, no markup),
    lowercased; every character that is not a letter, mark, number, space, hyphen or underscore
    dropped (CJK characters are letters and stay); each space a hyphen."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text).lower()
    kept = (ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LMN")
    return "".join(kept).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor GitHub gives the file's headings (a repeated slug gets -1, -2, …), plus HTML ones."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, title in HEADING.findall(text):
        slug = github_slug(title)
        if slug in seen:
            seen[slug] += 1
            found.add(f"{slug}-{seen[slug]}")
        else:
            seen[slug] = 0
            found.add(slug)
    return found | set(HTML_ANCHOR.findall(text))


def links(path: Path) -> list[str]:
    text = prose(path.read_text(encoding="utf-8"))
    return INLINE_LINK.findall(text) + REFERENCE.findall(text)


def broken_links(path: Path) -> list[str]:
    """Each relative link of ``path`` that leads nowhere, with the reason."""
    problems = []
    for target in links(path):
        if not target or EXTERNAL.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        destination = (path.parent / unquote(file_part)).resolve() if file_part else path
        if not destination.exists():
            problems.append(f"{target}: no such file {destination.relative_to(ROOT) if destination.is_relative_to(ROOT) else destination}")
            continue
        if anchor and destination.suffix == ".md" and unquote(anchor) not in anchors(destination):
            problems.append(f"{target}: no heading with the anchor #{anchor} in {destination.relative_to(ROOT)}")
    return problems


def test_the_docs_folder_exists():
    assert DOCS, "docs/ holds no .md file"


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    assert path.exists(), f"{path.relative_to(ROOT)} is missing"
    problems = broken_links(path)
    assert not problems, f"broken links in {path.relative_to(ROOT)}:\n" + "\n".join(problems)


def test_the_readme_is_one_screen():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; at most {README_MAX_LINES}: move detail into docs/"


def test_every_doc_is_linked_from_the_readme():
    linked = {(ROOT / unquote(target.partition("#")[0])).resolve() for target in links(ROOT / "README.md")}
    unlinked = [str(path.relative_to(ROOT)) for path in DOCS if path.resolve() not in linked]
    assert not unlinked, f"not linked from README.md: {unlinked}"


def fpengine_settings() -> set[str]:
    """Every FPENGINE_* variable named in fpengine/settings/environment.py (the settings' parsers) and
    in the code that reads one (the engine, ui/, the app and its pages)."""
    sources = [ROOT / "fpengine/settings/environment.py", ROOT / "app.py"]
    for folder in ("fpengine", "ui", "app_pages"):
        sources += sorted((ROOT / folder).rglob("*.py"))
    return {name for source in sources for name in re.findall(r"\bFPENGINE_[A-Z][A-Z0-9_]*\b", source.read_text(encoding="utf-8"))}


def test_every_fpengine_setting_is_in_the_classroom_server_doc():
    names = fpengine_settings()
    assert len(names) >= 5, f"found too few FPENGINE_* settings in the code to check: {sorted(names)}"
    documented = (ROOT / "docs/classroom-server.md").read_text(encoding="utf-8")
    missing = sorted(name for name in names if not re.search(rf"\b{name}\b", documented))
    assert not missing, f"FPENGINE_* settings missing from docs/classroom-server.md: {missing}"


@pytest.mark.parametrize(
    "heading, slug",
    [
        ("Fig 1.3 · Fitting sin(x) + sin(5x) (`sine-fit`)", "fig-13--fitting-sinx--sin5x-sine-fit"),
        ("Fig 1.6 · Equal amplitudes, ΔF heatmap (`equal-amplitude`)", "fig-16--equal-amplitudes-δf-heatmap-equal-amplitude"),
        ("简体中文快速上手", "简体中文快速上手"),
        ("Settings: `--set` and `--config`", "settings---set-and---config"),
        ("snake_case and [a link](x.md)", "snake_case-and-a-link"),
    ],
)
def test_github_slug(heading, slug):
    assert github_slug(heading) == slug
