"""Backends evaluate a model's right-hand side and its variables.

``pysd``: PySD's own generated Python, general (any model PySD translates), the reference.
``compiled``: the batched compiled engine (see :mod:`ambidex.compiled`), fast, for ensembles.
"""
