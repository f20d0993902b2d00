"""Fuzz the perfmon loaders: mutate valid and broken captures and feed them to ``kit.load``.

Seeds are the bad-input corpus (tests/data/bad/), the head of the bundled sample and of the real
files in ../shared/realdata, and files drawn from the round-trip strategies of
tests/io/perfmon/test_properties.py. Hypothesis draws 1–6 mutations per input (byte flips, insertions of
quotes, separators, BOMs, NULs, line breaks, huge numbers and NaN spellings, deleted, repeated
and swapped lines, cut-off ends, re-encodings, spliced files) and the load options.

A failure is any exception that is not a :class:`kit.KitError`, a ``KitError`` that does not
name the file, a load that leaves a line or column unaccounted for
(:func:`tests.io.perfmon.test_accounting.unaccounted`), or a cached reload that differs. Each failing input is
saved under ``fuzz/crashes/`` with its options and traceback; a JSON summary is printed and
written to ``fuzz/results/<date>.json``.

    nice -n 10 python3 fuzz/fuzz_loaders.py --minutes 30
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "fuzz")]

from common import Tally, drive, fail, load_progress, main, mutate, private_work, versions, where  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import kit  # noqa: E402
from kit.contract import capture_dict  # noqa: E402
from kit.errors import OptionError  # noqa: E402
from tests.io.perfmon.test_accounting import unaccounted  # noqa: E402
from tests.io.perfmon.test_properties import pdh_files, powershell_files  # noqa: E402

REALDATA = ROOT.parent / "shared" / "realdata"
SEED_LINES = 12
"""Lines kept of the bundled and real files (the header and some rows): small inputs run fast."""


def seed_files() -> list[tuple[str, bytes]]:
    """(name, bytes) of the file seeds."""
    seeds = [(p.name, p.read_bytes()) for p in sorted((ROOT / "tests" / "data" / "bad").iterdir())]
    heads = sorted((ROOT / "data").glob("*/*.csv"))
    if REALDATA.exists():
        heads += sorted(p for p in REALDATA.iterdir() if p.suffix in (".csv", ".tsv"))
    for path in heads:
        with path.open("rb") as handle:
            seeds.append((path.name, b"".join(handle.readline() for _ in range(SEED_LINES))))
    return [(name, data) for name, data in seeds if name not in ("EXPECTED.json", "MANIFEST.md")]


@st.composite
def cases(draw: st.DrawFn, seeds: list[tuple[str, bytes]]) -> dict:
    """One fuzz input: seed, mutated bytes, file suffix and load options."""
    source = draw(st.sampled_from(["file", "file", "file", "pdh", "powershell"]))
    if source == "file":
        name, data = draw(st.sampled_from(seeds))
    else:
        written = draw(pdh_files() if source == "pdh" else powershell_files())
        name, data = f"generated-{source}", written.raw
    data, mutations = draw(mutate(data, seeds))
    options = {
        "encoding": draw(st.sampled_from([None] * 12 + ["cp1252", "cp1251", "cp932", "utf-16", "utf-8"])),
        "utc_offset": draw(st.none() | st.integers(-14 * 60, 14 * 60) | st.sampled_from(["+05:30", "-08:00"])),
        "override_zone": draw(st.booleans()),
        "correct_dst": draw(st.booleans()),
        "decimal_comma": draw(st.sampled_from([None, None, True, False])),
    }
    return {
        "seed": name, "mutations": mutations, "data": data, "options": options,
        "suffix": draw(st.sampled_from([".csv"] * 8 + [".tsv", ".txt", ".blg"])),
        "cached": draw(st.integers(0, 19)) == 0,
        "pair": draw(st.integers(0, 19)) == 0,
    }


def run_case(case: dict, work: Path, crashes: Path, tally: Tally) -> None:
    """Load one input and record the outcome; never raises (but for Ctrl-C)."""
    path = work / f"input{case['suffix']}"
    path.write_bytes(case["data"])
    tally.tried += 1
    try:
        capture = kit.load(path, cache_results=False, progress=False, **case["options"])
    except kit.KitError as exc:
        tally.errors[type(exc).__name__] += 1
        if exc.path != str(path) or not (exc.hint or isinstance(exc, OptionError)):
            fail(tally, crashes, case, "vague-error", f"{type(exc).__name__}: {exc}")
        return
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - polars panics are BaseException
        fail(tally, crashes, case, "crash", where(exc), traceback.format_exc())
        return
    try:
        _check_loaded(path, capture, case, tally, crashes)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001
        fail(tally, crashes, case, "crash-after-load", where(exc), traceback.format_exc())


def _check_loaded(path: Path, capture: kit.Capture, case: dict, tally: Tally, crashes: Path) -> None:
    codes = {w.code for w in capture.warnings}
    tally.codes.update(codes)
    tally.warned += bool(codes)
    tally.clean += not codes
    problems = unaccounted(path, capture)
    if problems:
        fail(tally, crashes, case, "unaccounted", re.sub(r"\d+|'.*'", "N", problems[0])[:60], "\n".join(problems))
    else:
        tally.accounted += 1
    json.dumps(capture_dict(capture), default=str, allow_nan=False)
    kit.quality_report(capture)
    if case["cached"]:
        first = kit.load(path, progress=False, **case["options"])
        second = kit.load(path, progress=False, **case["options"])
        if not (second.data.equals(first.data) and second.warnings == first.warnings):
            fail(tally, crashes, case, "cache-mismatch", "cached reload differs")
    if case["pair"]:
        other = path.with_name("other.csv")
        other.write_bytes((ROOT / "tests" / "data" / "bad" / "truncated_last_line.csv").read_bytes())
        both = kit.load([path, other], cache_results=False, progress=False)
        if both.data.columns != ["time", *both.catalog["column"]] or not both.data["time"].is_sorted():
            fail(tally, crashes, case, "combine", "combined capture inconsistent")


def fuzz(
    *, seconds: float, seed: int, batch: int = 200, max_inputs: int | None = None,
    crashes: Path = ROOT / "fuzz" / "crashes", report_every: float = 60.0,
) -> dict:
    """Fuzz for ``seconds`` (or ``max_inputs``) and return the summary. [s]"""
    seeds = seed_files()
    tally = Tally()
    work = Path(tempfile.mkdtemp(prefix="kit-fuzz-"))
    started = datetime.now(timezone.utc)
    begin = time.monotonic()
    with private_work(work):
        drive(
            cases(seeds), lambda case: run_case(case, work, crashes, tally), seconds=seconds, seed=seed,
            batch=batch, done=lambda: max_inputs is not None and tally.tried >= max_inputs,
            progress=load_progress(tally), report_every=report_every,
        )
    return {
        "started_utc": started.isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - begin, 1),
        "seed": seed,
        "seed_files": len(seeds),
        **tally.figures(),
        "versions": versions(),
    }


if __name__ == "__main__":
    sys.exit(main(None, __doc__.splitlines()[0], fuzz, "fuzz/fuzz_loaders.py"))
