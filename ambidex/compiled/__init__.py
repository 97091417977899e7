"""Compiled batched backend: PySD's AbstractModel -> numba kernels running N parameter sets.

>>> cm = compile_model("teacup.mdl")
>>> res = cm.run({"Characteristic Time": np.linspace(5, 20, 1000)}, method="dopri5")
>>> res["Teacup Temperature"].shape   # (N, T)
"""

from .engine import STATUS, CompiledModel, RunResult, compile_model

__all__ = ["compile_model", "CompiledModel", "RunResult", "STATUS"]
