"""The core: what every engine, analysis and face builds on, importing nothing above it.

``model`` (the :class:`~ambidex.core.model.Model`: AbstractModel, IR and parameter table, built
once per file), ``records``, ``parameters`` (the :class:`ParameterTable`), ``scenario`` and
``interventions``, ``samples``, ``grid`` (save times), ``checks`` (NaN and negative-stock checks
on a block of runs), ``assembly`` (result Dataset and the one provenance schema),
``provenance``, ``profile`` (what is specific to a model, read from ``NAME.profile.toml``),
``units`` (the one pint registry), ``translate`` and the XMILE pre-passes, ``errors``,
``tomlio``, ``results`` (atomic writes), ``paths`` (the one cache setting) and ``imports``
(the import graph).  See docs/reference/architecture.md.
"""

from .pysd_package import install as _install_lazy_pysd

_install_lazy_pysd()  # pysd.translators load without PySD's runtime (see pysd_package)
