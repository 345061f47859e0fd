"""Every visible string exists in English and 简体中文, and every key the code asks for exists."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import fpengine.registry  # noqa: F401  (registers every section's strings)
import fpengine.sweep  # noqa: F401  (registers the sweep's)
from fpengine.i18n import catalog, t
from tests.conftest import ROOT

CJK = re.compile(r"[\u4e00-\u9fff]")
LITERAL_KEY = re.compile(r"""\b(?:tr|t)\(\s*["']([a-z0-9_.-]+)["']""")


def test_every_string_has_english_and_chinese():
    for key, (english, chinese) in catalog().items():
        assert english.strip() and chinese.strip(), key
        words = re.sub(r"{\w+}|--[\w-]+|\b[\w.]*_[\w.]*\b", "", english)  # placeholders, options and setting names are not prose
        if CJK.search(english) is None and re.search(r"[A-Za-z]{4,}", words) and not key.startswith("app.language"):
            # a translated sentence contains Chinese (symbols, numbers and formulas may stay as they are)
            assert CJK.search(chinese) or english == chinese, f"{key} is not translated"


def test_placeholders_match_between_languages():
    for key, (english, chinese) in catalog().items():
        assert set(re.findall(r"{(\w+)", english)) == set(re.findall(r"{(\w+)", chinese)), key


def test_every_literal_key_used_in_the_code_exists():
    sources = [*ROOT.glob("fpengine/**/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("app_pages/*.py"), ROOT / "app.py"]
    missing = {
        f"{path.relative_to(ROOT)}: {key}"
        for path in sources
        for key in LITERAL_KEY.findall(Path(path).read_text(encoding="utf-8"))
        if key not in catalog() and not key.endswith(".")
    }
    assert not missing, sorted(missing)


def test_formatting_in_both_languages():
    assert t("run.progress", "en", step=1200, total=3000) == "Step 1,200 / 3,000"
    assert t("run.progress", "zh", step=1200, total=3000) == "第 1,200 / 3,000 步"


LIGHT_ERROR = """
import sys
from fpengine.settings.schema import ConfigError, Interval
error = ConfigError("training.lr", "settings.must_be", -1, rule=Interval(0, 10, closed="right"))
heavy = sorted(m for m in ("fpengine.registry", "torch", "scipy", "altair", "pandas") if m in sys.modules)
assert not heavy, heavy
print(error.message("zh"))
print(error)
"""


def test_an_error_formats_when_shown_and_creating_one_imports_nothing_heavy():
    # i18n imports no part of the app: creating a ConfigError looks nothing up, showing it reads the
    # settings' own table (registered by the settings package), in either language
    done = subprocess.run([sys.executable, "-c", LIGHT_ERROR], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["training.lr 须为区间 (0, 10] 内的数；收到 -1", "training.lr must be a number in (0, 10]; got -1"]


@pytest.mark.slow
def test_a_script_that_imports_one_section_reads_its_errors_without_the_registry():
    """A researcher's script imports one section's module, never the registry: its errors still read."""
    script = (
        "import sys; from fpengine.image.pictures import ImageError; "
        "assert 'fpengine.registry' not in sys.modules; print(ImageError('flat').message('zh'))"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip(), result.stderr
    assert result.stdout.strip() == t("image.error.flat", "zh")
