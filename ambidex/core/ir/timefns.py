"""Functions of time and of the TIME STEP the compiled translator builds from other IR
(mixed into :class:`~ambidex.core.ir.scope.Scope`): Stella's PULSE."""

from __future__ import annotations


class TimeFunctionMixin:
    def stella_pulse(self, fname, a):
        """Stella's PULSE(volume, first[, interval]) (PySD: ``Xpulse(first, volume)``,
        ``Xpulse_train(first, interval, volume)``): ``volume / DT`` during one TIME STEP at
        ``first`` and every ``interval`` after it (interval 0: once), as PySD computes it."""
        dt = self.tr.control_value("time_step")
        width = ("n", 0.5 * dt)
        if fname == "Xpulse":
            start, volume = a
            args = [start, width]
            kind = "pulse"
        else:
            start, interval, volume = a
            args = [start, interval, width, ("n", float("inf"))]
            kind = "pulse_train"
        self.tr.bp_sites.append((kind, args))
        return ("ar", ("*",), [("ar", ("/",), [volume, ("n", dt)]), ("f", kind, args)])
