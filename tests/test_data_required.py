"""Missing test data is never a silent pass: the conformance suite shipped in tests/data fails,
the ../shared corpus skips naming its folder, or fails when required (tests/_data.py)."""

from __future__ import annotations

import pytest
import test_compiled_conformance as conformance
from _data import REQUIRE_SHARED, require


def test_missing_shipped_data_fails(tmp_path):
    with pytest.raises(pytest.fail.Exception, match=r"gone.*shipped in the repository"):
        require(tmp_path / "gone", "the suite")
    require(tmp_path, "the suite")  # present: nothing happens


def test_missing_shared_data_is_a_named_skip_or_a_required_failure(tmp_path, monkeypatch):
    monkeypatch.delenv(REQUIRE_SHARED, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"corpus not found at .*gone.*did not run"):
        require(tmp_path / "gone", "corpus", shared=True)
    monkeypatch.setenv(REQUIRE_SHARED, "1")
    with pytest.raises(pytest.fail.Exception, match=rf"gone.*{REQUIRE_SHARED}=1 requires them"):
        require(tmp_path / "gone", "corpus", shared=True)


def test_conformance_without_its_suite_is_one_failing_test(tmp_path, monkeypatch):
    monkeypatch.setattr(conformance, "SUITE", tmp_path / "gone")
    params = conformance._models()
    assert [p.id for p in params] == ["suite-missing"]  # collected, not an empty parametrisation
    with pytest.raises(pytest.fail.Exception, match="SDXorg conformance suite not found"):
        conformance.test_conformance(None)
