"""Test data that must be there: a missing folder is a failure or a named skip, never an empty
parametrisation or a silent pass.

``require(path, what)`` for data shipped in this repository (``tests/data/``): absent means a
broken checkout, always a failure.  ``require(path, what, shared=True)`` for the ``../shared``
checkout beside the repository (the real-model corpus, which a fresh clone does not have): a skip
naming the folder (``-ra`` lists it in the summary), or a failure when ``AMBIDEX_REQUIRE_SHARED=1``
is set, for machines where the corpus must run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REQUIRE_SHARED = "AMBIDEX_REQUIRE_SHARED"


def require(path: Path, what: str, shared: bool = False) -> None:
    if Path(path).exists():
        return
    if not shared:
        pytest.fail(f"{what} not found at {path}: it is shipped in the repository "
                    "(tests/data/README.md); the checkout is incomplete", pytrace=False)
    msg = (f"{what} not found at {path} (the ../shared checkout beside the repository); "
           "these tests did not run")
    if os.environ.get(REQUIRE_SHARED) == "1":
        pytest.fail(f"{msg}, and {REQUIRE_SHARED}=1 requires them", pytrace=False)
    pytest.skip(f"{msg} (set {REQUIRE_SHARED}=1 to make this a failure)")


# dX/dt = k1 Y - k2 X, dY/dt = -k3 X: a linear two-stock model (the right-hand side is A y)
TWO_STOCKS = """
X = INTEG(k1 * Y - k2 * X, 10)
	~	widget
	~	first stock
	|
Y = INTEG(-k3 * X, 5)
	~	widget
	~	second stock
	|
k1 = 0.5
	~	1/Year
	~	gain of X from Y
	|
k2 = 0.1
	~	1/Year
	~	decay of X
	|
k3 = 0.2
	~	1/Year
	~	drain of Y by X
	|
"""
