"""Seeded fuzzing of the readers (issue 10): tampered fit files through ``load_fit`` and random bytes and
CSV-like text through ``load_table``; only ``DataError`` may come out, never the loaders' safety nets.

The generators live in ``benchmarks/fuzz_fitfile.py`` and ``benchmarks/fuzz_table.py``, which run the
same cases at full size and print the figures; here they run in a CI-sized form (a few seconds each).
"""

from __future__ import annotations

import importlib.util
import os

import pytest

_BENCHMARKS = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "benchmarks")


def _load(name):
    spec = importlib.util.spec_from_file_location(f"_emdesk_{name}", os.path.join(_BENCHMARKS, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tampered_fit_files_raise_only_data_error(tmp_path):
    fuzz = _load("fuzz_fitfile")
    result = fuzz.run(5000, seed=20261130, folder=str(tmp_path))
    outcomes = result["outcomes"]
    assert set(outcomes) <= {"accepted", "DataError"}, (outcomes, result["examples"])
    assert sum(outcomes.values()) == 5000
    # The generator must keep producing both kinds (a fuzzer that only makes invalid JSON proves little).
    assert outcomes["DataError"] > 2500 and outcomes.get("accepted", 0) > 100
    assert result["longest_message"] <= fuzz.MAX_MESSAGE


def test_random_bytes_and_csv_like_text_raise_only_data_error(tmp_path):
    """Random bytes and CSV-like text (quotes, bare CRs, comments, trailing separators, decimal commas,
    huge numbers, ...) through load_table: a Table or a DataError, never the loader's safety net, and
    the progress never goes back."""
    fuzz = _load("fuzz_table")
    result = fuzz.run(5000, seed=20261130, folder=str(tmp_path), large=0.01)
    outcomes = result["outcomes"]
    assert set(outcomes) <= {"loaded", "DataError"}, (outcomes, result["examples"])
    assert sum(outcomes.values()) == 5000
    assert outcomes["DataError"] > 1000 and outcomes["loaded"] > 500
