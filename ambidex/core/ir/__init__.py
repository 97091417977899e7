"""The model's one intermediate representation (``Model.ir``), built from PySD's AbstractModel.

``translator.Translator`` is the builder; ``scope`` translates one section's elements and
expressions (with the mixins ``statefuls``, ``discrete``, ``timefns``, ``vectors``); ``nodes``
holds the slots, lookup tables, the reference walk and the initial-value evaluator;
``order`` the evaluation order of slots; ``exprtext`` renders arithmetic chains as Python
text.  Readers: the compiled engine's code generator (:mod:`ambidex.compiled.codegen`), the
JavaScript export (:mod:`ambidex.export.jsgen`) and the loop scores
(:mod:`ambidex.loops.equations`).
"""
