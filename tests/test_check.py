"""ambidex.check: the SD validation tests on the dual model and on deliberately broken models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ambidex
import ambidex.check as sdcheck

ROOT = Path(__file__).resolve().parents[1]
BROKEN = Path(__file__).resolve().parent / "broken_models"
STATIC = ["units", "parameters", "structure"]


def fails(report, test=None):
    return [r for r in report.failures if test is None or r.test == test]


# ---------------------------------------------------------------- broken models, each caught
def test_valid_small_model_passes():
    r = sdcheck(BROKEN / "valid.mdl", only=STATIC)
    assert r.passed and not r.warnings, str(r)


def test_wrong_units_caught():
    r = sdcheck(BROKEN / "wrong_units.mdl", only=["units"])
    bad = {x.subject: x for x in fails(r, "units.equation")}
    assert set(bad) == {"shipments", "inventory cover"}, str(r)
    assert bad["shipments"].evidence["expected"] == "widget/Year"
    assert bad["shipments"].evidence["found"] == "widget*Year"
    assert "shipments = Inventory * shipping time" in bad["shipments"].evidence["equation"]
    assert "widget" in bad["inventory cover"].message and "Year" in bad["inventory cover"].message


def test_leaking_stock_caught():
    r = sdcheck(BROKEN / "leaking_stock.mdl", only=["structure"])
    (leak,) = fails(r, "structure.mass_balance")
    assert leak.subject == "Inventory" and "leaks" in leak.message
    assert "spoilage" in leak.message  # names the unnamed term
    assert abs(leak.evidence["difference"]) > 1
    warned = {x.test: x.subject for x in r.warnings}
    assert warned["structure.unnamed_flow"] == "Inventory"
    assert warned["structure.flow_without_stock"] == "spoilage"


def test_negative_stock_caught():
    r = sdcheck(BROKEN / "negative_stock.mdl", only=["structure"])
    (neg,) = fails(r, "structure.range")
    assert neg.subject == "Inventory"
    assert "went negative" in neg.message and "t=3.375" in neg.message


def test_parameter_without_source_caught():
    r = sdcheck(BROKEN / "no_source.mdl", only=["parameters"])
    (bad,) = fails(r)
    assert bad.subject == "shipping time" and "no documented source" in bad.message


def test_undefined_variable_caught():
    r = sdcheck(BROKEN / "undefined.mdl")
    undef = fails(r, "structure.undefined")
    assert undef and undef[0].subject == "production"
    assert "capacity utilisation" in undef[0].message
    assert not r.passed


# ---------------------------------------------------------------- the dual model, static checks
@pytest.fixture(scope="module")
def dual_static(model):
    return sdcheck(model, only=STATIC)


def test_dual_model_units_balance(dual_static):
    assert not fails(dual_static), str(dual_static)
    (summary,) = dual_static.select(test="units.summary")
    assert summary.evidence["equations_checked"] >= 180


def test_dual_model_mass_balance_and_ranges(dual_static, model):
    mb = dual_static.select(test="structure.mass_balance")
    assert {r.subject for r in mb} == {s.name for s in model.stocks}
    assert all(r.status == "pass" for r in mb)


def test_dual_model_parameters_documented(dual_static, model):
    pa = dual_static.select(category="parameters")
    assert len(pa) == len(model.parameters) and all(r.status == "pass" for r in pa)


def test_report_exports(dual_static, tmp_path):
    text = dual_static.to_json(tmp_path / "c.json")
    data = json.loads((tmp_path / "c.json").read_text())
    assert data["passed"] is True and json.loads(text)["counts"]["units"]["fail"] == 0
    ds = dual_static.to_dataset()
    assert ds.sizes["check"] == len(dual_static.results)
    assert set(ds.status.values) <= {"pass", "warn", "fail"}
