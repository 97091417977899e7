"""``libm_pow(a, b)``: the C library's ``pow``, called from numba code as an opaque function.

numba compiles ``a ** b`` for floats to LLVM's ``llvm.pow`` intrinsic, which LLVM rewrites when
it sees a constant operand after inlining and constant propagation: ``x ** 2.0`` -> ``x * x``,
``x ** -1.0`` -> ``1.0 / x``, ``x ** 0.5`` -> ``fabs(sqrt(x))``, ``2.0 ** x``, ``4.0 ** x``,
``0.5 ** x`` ... -> ``exp2(k * x)`` (numba 0.68 / LLVM 22, measured: each differs from libm's
``pow`` in the last bit for about 0.1 % of arguments).  Python's ``**`` and ``math.pow`` always
call libm's ``pow``.  So that the interpreted tier (:mod:`.pytier`, the same generated source run
as Python) gives bitwise the results of the compiled one, the generated code raises to a power
only through this call, which LLVM must leave alone (declared ``nobuiltin``: not recognised as
the library function, so neither simplified nor constant-folded) and which resolves to the same
``pow`` symbol of the C library that CPython calls.  Squares the code generator writes as
``_sq(x)`` (``x * x`` in both tiers).
"""

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

_DOUBLE = ir.DoubleType()


@intrinsic
def libm_pow(typingctx, a, b):
    """``pow(a, b)`` of the C library (float64), opaque to LLVM's optimiser."""
    sig = types.float64(a, b)

    def codegen(context, builder, signature, args):
        x, y = (context.cast(builder, v, t, types.float64)
                for v, t in zip(args, signature.args))
        fn = builder.module.globals.get("pow")
        if fn is None:
            fn = ir.Function(builder.module, ir.FunctionType(_DOUBLE, [_DOUBLE, _DOUBLE]),
                             name="pow")
        fn.attributes.add("nobuiltin")
        call = builder.call(fn, (x, y))
        set.add(call.attributes, "nobuiltin")  # on the call too (llvmlite's list lacks it)
        return call

    return sig, codegen
