"""The `test` extra of pyproject.toml installs every reference library the tests compare with, so that
no agreement test is skipped in CI for want of it (issue 10: scikit-learn was missing and its 16
agreement tests had never run there)."""

from __future__ import annotations

import importlib.util
import os
import re

import pytest

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
# import name -> distribution name, for the third-party libraries the tests may import
REFERENCE_LIBRARIES = {"sklearn": "scikit-learn", "hmmlearn": "hmmlearn", "pytestqt": "pytest-qt",
                       "hypothesis": "hypothesis", "pandas": "pandas", "statsmodels": "statsmodels",
                       "scipy": "scipy", "numpy": "numpy", "PyInstaller": "pyinstaller"}


def _test_extra() -> set[str]:
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    names = project["optional-dependencies"]["test"] + project["dependencies"]
    return {re.split(r"[<>=!~;\[ ]", name, maxsplit=1)[0].lower() for name in names}


def _imported_by_tests() -> set[str]:
    found = set()
    pattern = re.compile(r"^\s*(?:import|from)\s+(\w+)|importorskip\(\s*[\"'](\w+)", re.M)
    for folder, _, files in os.walk(os.path.join(ROOT, "tests")):
        for name in files:
            if name.endswith(".py"):
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    for a, b in pattern.findall(f.read()):
                        found.add(a or b)
    return found & set(REFERENCE_LIBRARIES)


def test_every_library_the_tests_use_is_in_the_test_extra():
    extra = _test_extra()
    missing = sorted(REFERENCE_LIBRARIES[m] for m in _imported_by_tests()
                     if REFERENCE_LIBRARIES[m].lower() not in extra)
    assert not missing, f"add to the test extra of pyproject.toml: {', '.join(missing)}"


@pytest.mark.parametrize("module, distribution", [("sklearn", "scikit-learn"), ("hmmlearn", "hmmlearn")])
def test_reference_libraries_are_listed_and_installed(module, distribution):
    assert distribution in _test_extra()
    # installed from the extra, the agreement tests run instead of skipping
    assert importlib.util.find_spec(module) is not None, f"pip install -e .[test] installs {distribution}"
