"""The workshop's dominance periods: whole spells, not flicker where two loops' scores cross."""

import numpy as np

from ambidex.workshop.loops_view import periods


def _scores(t, r1, b1):
    return {"R1": ("trust engine", "R", t, r1), "B1": ("capacity limit", "B", t, b1)}


def test_crossing_with_flicker_gives_two_periods_split_at_the_crossing():
    t = np.arange(2000, 2035.0001, 1 / 16)
    r1 = 1 - (t - 2000) / 20          # falls through 0.5 at 2010 (hand-derived crossing)
    b1 = -(t - 2000) / 20             # balancing: negative score, |b1| = 0.5 at 2010
    flick = (np.abs(t - 2010) < 0.6) & (np.arange(t.size) % 2 == 0)
    b1 = np.where(flick, -(r1 + 0.01), b1)  # B1 briefly on top every other step near the cross
    out = periods(_scores(t, r1, b1))
    assert [p[2] for p in out] == ["R1", "B1"]
    assert out[0][0] == 2000 and out[-1][1] == 2035
    assert abs(out[0][1] - 2010) <= 0.6 and out[0][1] == out[1][0]


def test_short_spell_is_absorbed_but_a_long_one_kept():
    t = np.arange(2000, 2035.0001, 0.25)
    r1 = np.full(t.size, 0.6)
    b1 = np.full(t.size, -0.4)
    b1[(t >= 2005) & (t < 2005.5)] = -0.9   # half a year: absorbed
    b1[(t >= 2020) & (t < 2024)] = -0.9     # four years: a period of its own
    out = periods(_scores(t, r1, b1))
    assert [(a, b, i) for a, b, i in out] == [(2000.0, 2020.0, "R1"), (2020.0, 2024.0, "B1"),
                                              (2024.0, 2035.0, "R1")]
    assert periods(_scores(t, r1, b1), min_years=0.25)[1] == (2005.0, 2005.5, "B1")


def test_no_scores_no_periods():
    t = np.arange(2000, 2010.0001, 1.0)
    assert periods({}) == []
    assert periods(_scores(t, np.zeros(t.size), np.zeros(t.size))) == []
