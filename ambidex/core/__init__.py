"""The core: what every engine, analysis and face builds on, importing nothing above it.

``parameters`` (the :class:`ParameterTable`), ``grid`` (save times), ``checks`` (NaN and
negative-stock checks on a block of runs), ``assembly`` (result Dataset and the one provenance
schema), ``profile`` (what is specific to a model, read from ``NAME.profile.toml``).  The model
object itself lives in :mod:`ambidex.core.model`, scenarios in :mod:`ambidex.core.scenario`, errors in
:mod:`ambidex.core.errors`, TOML in :mod:`ambidex.core.tomlio` (see docs/reference/architecture.md).
"""
