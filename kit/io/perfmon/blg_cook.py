"""Displayed values from raw ones, as PDH computes them: one formula per counter type.

The counter types and their formulas are Microsoft's (winperf.h; the "Counter Types" reference of
the Windows Server 2003 Technical Reference and the WMI performance counter types). The raw values
are those of ``PDH_RAW_COUNTER``: N is FirstValue; D (a time) or B (a base) is SecondValue; F is
the time base the log stores with the counter. A rate needs two consecutive samples: the first
sample of a log, and the one after a missing or invalid value, are blank (relog prints ``" "``).

Types marked ``verified`` were checked against relog's CSV twin of a real log (every value equal
to 1e-12 relative); the others follow the same raw layout and their documented formula. Types
not listed (multi-timers, elapsed time, object-time timers, text, bases on their own) are not
cooked: their columns are left out and reported.

Where PDH would return an error status instead of a value (a negative or zero time or base
difference, a negative result: PDH_CALC_NEGATIVE_DENOMINATOR, _TIMEBASE, _VALUE), the value is
blank and the reason counted, never a made-up number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CounterType:
    """One PERF_* counter type and how its displayed value is computed."""

    name: str
    formula: str
    """raw, fraction, delta, rate, timer, inverse, sample-fraction, average-timer, average, queue"""
    verified: bool = False
    """Checked against relog's CSV of a real log."""


TYPES = {
    0x00000000: CounterType("PERF_COUNTER_RAWCOUNT_HEX", "raw"),
    0x00000100: CounterType("PERF_COUNTER_LARGE_RAWCOUNT_HEX", "raw"),
    0x00010000: CounterType("PERF_COUNTER_RAWCOUNT", "raw", verified=True),
    0x00010100: CounterType("PERF_COUNTER_LARGE_RAWCOUNT", "raw"),
    0x00400400: CounterType("PERF_COUNTER_DELTA", "delta"),
    0x00400500: CounterType("PERF_COUNTER_LARGE_DELTA", "delta"),
    0x10410400: CounterType("PERF_COUNTER_COUNTER", "rate", verified=True),
    0x10410500: CounterType("PERF_COUNTER_BULK_COUNT", "rate", verified=True),
    0x00410400: CounterType("PERF_SAMPLE_COUNTER", "rate"),
    0x20410500: CounterType("PERF_COUNTER_TIMER", "timer"),
    0x20510500: CounterType("PERF_100NSEC_TIMER", "timer"),
    0x20470500: CounterType("PERF_PRECISION_SYSTEM_TIMER", "timer"),
    0x20570500: CounterType("PERF_PRECISION_100NS_TIMER", "timer", verified=True),
    0x21410500: CounterType("PERF_COUNTER_TIMER_INV", "inverse"),
    0x21510500: CounterType("PERF_100NSEC_TIMER_INV", "inverse", verified=True),
    0x20020400: CounterType("PERF_RAW_FRACTION", "fraction", verified=True),
    0x20020500: CounterType("PERF_LARGE_RAW_FRACTION", "fraction"),
    0x20C20400: CounterType("PERF_SAMPLE_FRACTION", "sample-fraction"),
    0x30020400: CounterType("PERF_AVERAGE_TIMER", "average-timer"),
    0x40020500: CounterType("PERF_AVERAGE_BULK", "average"),
    0x00450400: CounterType("PERF_COUNTER_QUEUELEN_TYPE", "queue"),
    0x00450500: CounterType("PERF_COUNTER_LARGE_QUEUELEN_TYPE", "queue"),
    0x00550500: CounterType("PERF_COUNTER_100NS_QUEUELEN_TYPE", "queue"),
}
"""The counter types the kit cooks (code → type)."""
NEEDS_FREQUENCY = {"rate", "average-timer"}
NEGATIVE_DENOMINATOR = "a zero or negative time or base difference"
NEGATIVE_VALUE = "a negative result (a counter that went back: reset or wrapped)"
NO_FREQUENCY = "no time base (frequency ≤ 0) stored for the counter"
NOT_FINITE = "a result that is not finite"
ZERO_BASE = "a zero or negative base"


def type_name(code: int) -> str:
    """The PERF_* name of a counter type code, or its hex value."""
    known = TYPES.get(code)
    return known.name if known else f"{code:#010x}"


def cook(code: int, frequency: int, first: np.ndarray, second: np.ndarray, valid: np.ndarray
         ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Displayed values (float64, NaN where blank) of columns of counter type ``code`` and time
    base ``frequency`` [Hz], from raw (samples × columns) ``first``, ``second`` and ``valid``;
    and, per reason, where a valid raw value still gave no displayed one."""
    formula = TYPES[code].formula
    reasons: dict[str, np.ndarray] = {}
    if formula not in ("raw", "fraction") and first.shape[0] >= 2 and (formula not in NEEDS_FREQUENCY or frequency > 0):
        out = np.empty(first.shape)  # every value below the first row is written
        out[0] = np.nan
    else:
        out = np.full(first.shape, np.nan)
    if formula in ("raw", "fraction"):
        ok = valid
        if formula == "raw":
            np.copyto(out, first, where=ok, casting="unsafe")
            return out, {}
        zero = ok & (second <= 0)
        ok = ok & ~zero
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(100.0 * first, second, out=out, where=ok)
        return _finish(out, ok, {ZERO_BASE: zero})
    if first.shape[0] < 2:
        return out, {}
    ok = valid[1:] & valid[:-1]
    if formula in NEEDS_FREQUENCY and frequency <= 0:
        return out, {NO_FREQUENCY: np.concatenate([np.zeros((1, ok.shape[1]), bool), ok])}
    body = out[1:]
    dn = np.subtract(first[1:], first[:-1])
    if formula == "delta":
        np.copyto(body, dn, where=ok, casting="unsafe")
        return out, {}
    dd = np.subtract(second[1:], second[:-1])
    bad = dd <= 0
    if bad.any():
        bad &= ok
        ok &= ~bad
        reasons[NEGATIVE_DENOMINATOR] = bad
    back = dn < 0
    if back.any():
        back &= ok
        ok &= ~back
        reasons[NEGATIVE_VALUE] = back
    # computed in place in the output; where ok, the denominator is > 0 and the integers are
    # finite, so every result is finite; elsewhere it is blanked below
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if formula == "rate":
            np.multiply(dn, float(frequency), out=body)
            body /= dd
        elif formula in ("timer", "sample-fraction"):
            np.multiply(dn, 100.0, out=body)
            body /= dd
        elif formula == "inverse":
            np.divide(dn, dd, out=body)
            np.subtract(1.0, body, out=body)
            body *= 100.0
            below = body < 0
            below &= ok
            if below.any():
                reasons[NEGATIVE_VALUE] = reasons[NEGATIVE_VALUE] | below if NEGATIVE_VALUE in reasons else below
                ok &= ~below
        elif formula == "average-timer":
            np.divide(dn, float(frequency), out=body)
            body /= dd
        elif formula in ("average", "queue"):
            np.divide(dn, dd, out=body)
        else:  # pragma: no cover - TYPES holds only the formulas above
            raise ValueError(formula)
    np.copyto(body, np.nan, where=~ok)
    return out, {k: np.concatenate([np.zeros((1, v.shape[1]), bool), v]) for k, v in reasons.items() if v.any()}


def _finish(out: np.ndarray, ok: np.ndarray, reasons: dict[str, np.ndarray]) -> tuple[np.ndarray, dict]:
    """``out`` with the results that are not finite blanked and counted."""
    infinite = ok & ~np.isfinite(out)
    if infinite.any():
        reasons[NOT_FINITE] = infinite
        out[infinite] = np.nan
    return out, {k: v for k, v in reasons.items() if v.any()}
