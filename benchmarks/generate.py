"""Fast writer of a large, realistic relog CSV (one Hyper-V host, a day of 1 s samples).

The file has relog's exact form (as :func:`kit.sample.generator._render_csv`): header
``"(PDH-CSV 4.0) (<zone>)(<bias>)"``, every field double-quoted, CRLF, ``MM/DD/YYYY HH:MM:SS.mmm``
local timestamps, ``" "`` for blanks, a blank first row for rate counters, columns sorted by
object then counter. Values are dyadic (k / 2^q with ≤ 15 significant digits), so the shortest
round-trip text polars writes is exactly what ``%.20g`` gives (the test checks a sample).

Counters (for ``cores`` logical processors, ``nics`` NICs): ``Processor Information`` (10 counters
per LP, two processor groups, ``_Total``s), ``Hyper-V Hypervisor Logical Processor`` /
``Root Virtual Processor``, ``Network Interface``, ``RDMA Activity``, ``SMB Client Shares`` /
``SMB Server Shares``, ``Memory``, ``Hyper-V VM Live Migration`` (one instance per migrated VM,
blank except while it migrates) and ``Hyper-V Hypervisor Virtual Processor`` (the guests' VPs,
as many as it takes to reach ``counters``).

Live migrations alternate in (this host receives: NIC bytes received on the two migration NICs,
``Receiver: Bytes Written/sec``, DPC + interrupt load on 4 receive cores per NIC) and out
(bytes sent, ``Memory Walker``/``SMB Transport`` counters, transfer passes).

Everything is vectorised: values are generated and formatted a block of rows at a time
(numpy → polars → ``write_csv``), about 1 min for 86,400 × 3,000 on two cores.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

HOST = "HV02"
ZONE, BIAS = "W. Europe Standard Time", -60
START = datetime(2025, 3, 4, 0, 0, 0)
LM = "Hyper-V VM Live Migration"
PCT_Q = 2.0**12  # percentages: multiples of 1/4096 (≤ 15 significant digits)
RATE_Q = 4.0  # rates: multiples of 1/4
NIC_NAMES = [
    "Mellanox ConnectX-6 Dx Adapter", "Mellanox ConnectX-6 Dx Adapter _2",
    "Intel[R] Ethernet Controller E810-C for QSFP", "Intel[R] Ethernet Controller E810-C for QSFP _2",
    "Intel[R] I350 Gigabit Network Connection", "Intel[R] I350 Gigabit Network Connection _2",
    "Broadcom NetXtreme E-Series Advanced Dual-port 25Gb", "Broadcom NetXtreme E-Series Advanced Dual-port 25Gb _2",
]
LINK_BPS = [25e9, 25e9, 100e9, 100e9, 1e9, 1e9, 25e9, 25e9]
MIGRATION_NICS = 2  # the first two carry the migrations (SMB Multichannel)
RECEIVE_CORES_PER_NIC = 4
SHARES = ["\\\\FS01\\VMStore-Übergabe", "\\\\FS01\\ClusterStorage"]  # one non-ASCII name (code pages)

SIZES = {
    "tiny": dict(rows=240, counters=300, cores=8, nics=4, migrations=2),
    "small": dict(rows=7_200, counters=1_000, cores=48, nics=4, migrations=4),
    "medium": dict(rows=20_000, counters=1_000, cores=48, nics=4, migrations=4),
    "full": dict(rows=86_400, counters=3_000, cores=128, nics=8, migrations=8),
    # a week of 1 s samples (issue 16 §6): 56 migrations (8 a day) of 8 VMs back and forth
    "week": dict(rows=604_800, counters=500, cores=16, nics=4, migrations=56, vms=8),
}
VARIANTS = {"tiny", "small", "medium", "full"}
"""Sizes that also get cp1252 and UTF-16 copies (the week's steps read only the UTF-8 file)."""


@dataclass
class Column:
    object: str
    instance: str | None
    counter: str
    driver: int = 0  # index into the driver matrix (0 = constant 1)
    base: float = 0.0
    scale: float = 0.0
    noise: float = 0.0
    quantum: float = PCT_Q  # values are multiples of 1/quantum
    zero_share: float = 0.0  # share of samples that are exactly 0 (idle counters)
    rate: bool = True  # blank in the first row (needs two raw samples)
    high: float = math.inf  # upper clip (100 for percentages)

    def path(self) -> str:
        inst = "" if self.instance is None else f"({self.instance})"
        return f"\\\\{HOST}\\{self.object}{inst}\\{self.counter}"


@dataclass
class Plan:
    rows: int
    columns: list[Column]
    drivers: np.ndarray  # (rows, K)
    migrations: list[dict]
    seed: int


def plan(rows: int, counters: int, cores: int, nics: int, migrations: int, vms: int | None = None,
         seed: int = 6) -> Plan:
    """The columns, their models and the per-row drivers (migrations) of the capture. ``vms``: how
    many VMs take turns migrating (default: one per migration)."""
    rng = np.random.default_rng(seed)
    names = [f"{i // (cores // 2)},{i % (cores // 2)}" for i in range(cores)]
    drv: list[np.ndarray] = [np.ones(rows)]

    def driver(values: np.ndarray) -> int:
        drv.append(values)
        return len(drv) - 1

    # --- migrations: alternate in/out, spread over the day --------------------------------------
    rx = np.zeros(rows)  # bytes/s per migration NIC received
    tx = np.zeros(rows)
    load = np.zeros(rows)  # 0..1 receive-core load
    migs = []
    lm_columns: list[Column] = []
    lm_by_vm: dict[str, list[Column]] = {}  # each VM's instance columns, in the order below
    span = rows // (migrations + 1)
    for m in range(migrations):
        incoming = (m + (m // vms if vms else 0)) % 2 == 0  # a VM that came in goes out next time
        memory_gb = [16, 32, 64, 8][m % 4]
        per_nic = rng.uniform(1.9e9, 2.4e9)  # bytes/s per 25 GbE NIC
        seconds = max(int(memory_gb * 1.07e9 / (MIGRATION_NICS * per_nic)) + 2, 3)
        seconds = min(seconds, max(span // 3, 3))
        start = span * (m + 1) + int(rng.integers(-span // 5, span // 5 + 1)) if span > 10 else span * (m + 1)
        stop = min(start + seconds, rows - 2)
        window = slice(start, stop)
        shape = np.clip(rng.normal(1.0, 0.04, stop - start), 0.6, 1.05)
        shape[0] *= 0.5
        shape[-1] *= 0.4
        (rx if incoming else tx)[window] += per_nic * shape
        if incoming:
            load[window] = shape
        vm = f"VM-{m % (vms or migrations) + 1:02d}"
        present = np.full(rows, np.nan)
        present[start:stop] = 1.0  # gauges
        memory_rate = np.full(rows, np.nan)
        memory_rate[window] = MIGRATION_NICS * per_nic * shape
        memory_rate[start] = np.nan  # rates need two samples of the instance
        passes = np.where(np.isnan(present), np.nan, 0.0)
        passes[window] = np.minimum(1 + np.arange(stop - start) * 4 // max(stop - start, 1), 4)
        blackout = np.where(np.isnan(present), np.nan, 0.0)
        blackout[stop - 1] = 1.0
        cumulative = np.where(np.isnan(present), np.nan, 0.0)
        cumulative[window] = np.cumsum(MIGRATION_NICS * per_nic * shape)
        dirty = np.where(np.isnan(present), np.nan, 0.0)
        dirty[window] = np.maximum(memory_gb * 2.6e5 / (1 + np.arange(stop - start)) ** 2, 50)
        send = 0.0 if incoming else 1.0
        inst = f"{vm}:VM Live Migration"
        if vms is not None and m >= vms:  # this VM's instance again: its earlier migrations' columns
            for col, values in zip(lm_by_vm[inst], [
                memory_rate * send, memory_rate * (1 - send), cumulative * send, memory_rate * send,
                memory_rate * 0.0, np.round(dirty) * send, blackout * send, passes * send,
            ]):
                drv[col.driver] = np.where(np.isnan(values), drv[col.driver], values)
            migs.append(dict(vm=vm, direction="in" if incoming else "out", start_row=start, rows=stop - start,
                             memory_gb=memory_gb, per_nic_bytes_s=per_nic))
            continue
        for counter, values, rate, q in [
            ("Memory Walker: Bytes Read/sec", memory_rate * send, True, RATE_Q),
            ("Receiver: Bytes Written/sec", memory_rate * (1 - send), True, RATE_Q),
            ("SMB Transport: Bytes Sent", cumulative * send, False, 1.0),
            ("SMB Transport: Bytes Sent/sec", memory_rate * send, True, RATE_Q),
            ("TCP Transport: Bytes Sent/sec", memory_rate * 0.0, True, 1.0),
            ("Transfer pass: Dirty Page Count", np.round(dirty) * send, False, 1.0),
            ("Transfer Pass: Is blackout", blackout * send, False, 1.0),
            ("Transfer Pass: Number", passes * send, False, 1.0),
        ]:
            lm_columns.append(Column(LM, inst, counter, driver(values), scale=1.0, quantum=q, rate=rate))
            lm_by_vm.setdefault(inst, []).append(lm_columns[-1])
        migs.append(dict(vm=vm, direction="in" if incoming else "out", start_row=start, rows=stop - start,
                         memory_gb=memory_gb, per_nic_bytes_s=per_nic))
    d_rx, d_tx, d_load = driver(rx), driver(tx), driver(load)

    # --- processors --------------------------------------------------------------------------
    receive = set(rng.choice(np.arange(2, cores), size=min(RECEIVE_CORES_PER_NIC * MIGRATION_NICS, cores - 2), replace=False).tolist())
    cols: list[Column] = []
    proc = "Processor Information"
    instances = names + ["0,_Total", "1,_Total", "_Total"]
    for inst in instances:
        is_rx = inst in {names[i] for i in receive}
        total = inst.endswith("_Total")
        share = len(receive) / cores if total else 1.0
        for counter, c in [
            ("% C1 Time", Column(proc, inst, "", base=70, noise=6, high=100)),
            ("% DPC Time", Column(proc, inst, "", base=0.3, noise=0.3, zero_share=0.6 if not total else 0,
                                   driver=d_load if (is_rx or total) else 0, scale=(55 * share) if (is_rx or total) else 0, high=100)),
            ("% Idle Time", Column(proc, inst, "", base=80, noise=5, high=100)),
            ("% Interrupt Time", Column(proc, inst, "", base=0.1, noise=0.1, zero_share=0.8 if not total else 0,
                                         driver=d_load if (is_rx or total) else 0, scale=(9 * share) if (is_rx or total) else 0, high=100)),
            ("% Privileged Time", Column(proc, inst, "", base=6, noise=2, high=100)),
            ("% Processor Time", Column(proc, inst, "", base=18, noise=5, driver=d_load if is_rx else 0, scale=70 if is_rx else 0, high=100)),
            ("% User Time", Column(proc, inst, "", base=9, noise=3, high=100)),
            ("DPC Rate", Column(proc, inst, "", base=2, noise=1, quantum=1.0, rate=False)),
            ("DPCs Queued/sec", Column(proc, inst, "", base=150, noise=40, driver=d_load if is_rx else 0, scale=4.0e4 if is_rx else 0, quantum=RATE_Q)),
            ("Interrupts/sec", Column(proc, inst, "", base=900, noise=150, driver=d_load if is_rx else 0, scale=2.0e4 if is_rx else 0, quantum=RATE_Q)),
        ]:
            c.counter = counter
            cols.append(c)
    for obj, prefix, hv_counters in [
        ("Hyper-V Hypervisor Logical Processor", "Hv LP ", ["% Guest Run Time", "% Hypervisor Run Time", "% Idle Time", "% Total Run Time"]),
        ("Hyper-V Hypervisor Root Virtual Processor", "Root VP ", ["% Guest Run Time", "% Hypervisor Run Time", "% Total Run Time"]),
    ]:
        for inst in [f"{prefix}{i}" for i in range(cores)] + ["_Total"]:
            idx = None if inst == "_Total" else int(inst.rsplit(" ", 1)[1])
            is_rx = idx in receive
            for counter in hv_counters:
                busy = counter in ("% Total Run Time", "% Guest Run Time")
                base = 75 if counter == "% Idle Time" else (12 if busy else 2)
                cols.append(Column(obj, inst, counter, base=base, noise=3, high=100,
                                   driver=d_load if (is_rx and busy) else 0, scale=70 if (is_rx and busy) else 0))
    # --- network -----------------------------------------------------------------------------
    for n in range(nics):
        nic = NIC_NAMES[n]
        mig = n < MIGRATION_NICS
        bg_rx, bg_tx = (2e4, 1e4) if mig else (rng.uniform(1e5, 5e6), rng.uniform(5e4, 2e6))
        frame = 9014.0 if mig else 1514.0
        specs = [
            ("Bytes Received/sec", dict(base=bg_rx, noise=bg_rx / 5, driver=d_rx if mig else 0, scale=1.0 if mig else 0, quantum=RATE_Q)),
            ("Bytes Sent/sec", dict(base=bg_tx, noise=bg_tx / 5, driver=d_tx if mig else 0, scale=1.0 if mig else 0, quantum=RATE_Q)),
            ("Bytes Total/sec", dict(base=bg_rx + bg_tx, noise=bg_rx / 4, quantum=RATE_Q)),
            ("Current Bandwidth", dict(base=LINK_BPS[n], quantum=1.0, rate=False)),
            ("Output Queue Length", dict(quantum=1.0, rate=False)),
            ("Packets Outbound Errors", dict(quantum=1.0, rate=False)),
            ("Packets Received Discarded", dict(quantum=1.0, rate=False)),
            ("Packets Received Errors", dict(quantum=1.0, rate=False)),
            ("Packets Received/sec", dict(base=bg_rx / 400, noise=bg_rx / 2000, driver=d_rx if mig else 0, scale=1 / frame if mig else 0, quantum=RATE_Q)),
            ("Packets Sent/sec", dict(base=bg_tx / 400, noise=bg_tx / 2000, driver=d_tx if mig else 0, scale=1 / frame if mig else 0, quantum=RATE_Q)),
        ]
        cols += [Column("Network Interface", nic, counter, **kw) for counter, kw in specs]
    for n in range(min(nics, 4)):
        for counter, kw in [
            ("RDMA Accepted Connections", dict(quantum=1.0, rate=False)),
            ("RDMA Active Connections", dict(quantum=1.0, rate=False)),
            ("RDMA Inbound Bytes/sec", dict(quantum=1.0)),
            ("RDMA Inbound Frames/sec", dict(quantum=1.0)),
            ("RDMA Outbound Bytes/sec", dict(quantum=1.0)),
            ("RDMA Outbound Frames/sec", dict(quantum=1.0)),
        ]:
            cols.append(Column("RDMA Activity", NIC_NAMES[n], counter, **kw))
    for obj in ("SMB Client Shares", "SMB Server Shares"):
        for share in SHARES:
            for counter in ["Avg. Bytes/Read", "Avg. sec/Read", "Data Bytes/sec", "Read Bytes/sec", "Write Bytes/sec"]:
                cols.append(Column(obj, share, counter, base=5e5, noise=1e5, quantum=RATE_Q, zero_share=0.3))
    cols += [
        Column("Memory", None, "Available MBytes", base=180_000, noise=40, quantum=1.0, rate=False),
        Column("Memory", None, "Cache Bytes", base=2.1e9, noise=1e6, quantum=1.0, rate=False),
        Column("Memory", None, "Committed Bytes", base=9.5e10, noise=1e7, quantum=1.0, rate=False),
        Column("Memory", None, "Pages/sec", base=20, noise=15, quantum=RATE_Q, zero_share=0.5),
    ]
    cols += lm_columns
    # --- guests' virtual processors fill up to ``counters`` -----------------------------------
    fill = counters - len(cols)
    if fill < 0:
        raise ValueError(f"{counters} counters are fewer than the {len(cols)} fixed ones for {cores} cores")
    vp_counters = ["% Guest Run Time", "% Hypervisor Run Time", "% Total Run Time"]
    for k in range(fill):
        vm, rest = divmod(k, 8 * len(vp_counters))
        vp, counter = divmod(rest, len(vp_counters))
        cols.append(Column("Hyper-V Hypervisor Virtual Processor", f"APP-{vm + 1:03d}:Hv VP {vp}", vp_counters[counter],
                           base=20, noise=8, high=100, zero_share=0.1))
    cols.sort(key=lambda c: (c.object.lower(), c.counter.lower()))
    # instances in order within each (object, counter): the stable sort keeps insertion order
    return Plan(rows, cols, np.column_stack(drv), migs, seed)


def write(path: Path, p: Plan, *, block: int = 2048) -> dict:
    """Write ``p`` as a relog CSV (UTF-8) at ``path``; return what was written."""
    cols = p.columns
    n_cols = len(cols)
    k = np.array([c.driver for c in cols])
    base = np.array([c.base for c in cols])
    scale = np.array([c.scale for c in cols])
    noise = np.array([c.noise for c in cols])
    quantum = np.array([c.quantum for c in cols])
    zero = np.array([c.zero_share for c in cols])
    high = np.array([c.high for c in cols])
    rate = np.array([c.rate for c in cols])
    names = [f"c{i}" for i in range(n_cols)]
    header = f"(PDH-CSV 4.0) ({ZONE})({BIAS})"
    rng = np.random.default_rng([p.seed, 1])
    jitter = rng.integers(0, 16, p.rows)
    stamps = np.datetime64(START, "ms") + (np.arange(p.rows) * 1000 + 120 + jitter).astype("timedelta64[ms]")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        out.write(('"' + '","'.join([header] + [c.path() for c in cols]) + '"\r\n').encode("utf-8"))
        for lo in range(0, p.rows, block):
            hi = min(lo + block, p.rows)
            v = base + p.drivers[lo:hi][:, k] * scale
            v += rng.standard_normal((hi - lo, n_cols)) * noise
            np.clip(v, 0.0, high, out=v)
            v[rng.random((hi - lo, n_cols)) < zero] = 0.0
            v = np.round(v * quantum) / quantum + 0.0
            if lo == 0:
                v[0, rate] = np.nan
            frame = pl.DataFrame(v, schema=names, orient="row").select(
                pl.lit(pl.Series(stamps[lo:hi])).dt.strftime("%m/%d/%Y %H:%M:%S%.3f").alias("t"),
                pl.all().fill_nan(None).cast(pl.String).str.strip_suffix(".0"),
            )
            frame.write_csv(out, include_header=False, quote_style="always", null_value=" ", line_terminator="\r\n")
    return {"path": str(path), "bytes": path.stat().st_size, "rows": p.rows, "counters": n_cols,
            "migrations": p.migrations}


def transcode(src: Path, dst: Path, encoding: str, *, block: int = 64 << 20) -> dict:
    """Copy a UTF-8 capture into another encoding (``utf-16`` writes a BOM, as Windows does)."""
    with src.open("rb") as fin, dst.open("wb") as fout:
        if encoding.lower().replace("-", "") in ("utf16", "utf16le"):
            fout.write(b"\xff\xfe")
            encoding = "utf-16-le"
        header = fin.readline()
        fout.write(header.decode("utf-8").encode(encoding))
        while chunk := fin.read(block):  # data rows are ASCII: no character is split between blocks
            fout.write(chunk.decode("ascii").encode(encoding) if encoding != "cp1252" else chunk)
    return {"path": str(dst), "bytes": dst.stat().st_size, "encoding": encoding}


def generate(folder: Path, size: str, *, variants: bool = True) -> dict:
    """Write ``capture-<size>.csv`` (+ cp1252 and UTF-16 copies) to ``folder`` unless present."""
    spec = SIZES[size]
    p = plan(**spec)
    main = folder / f"capture-{size}.csv"
    info: dict = {"size": size, **spec}
    if not main.exists():
        tmp = main.with_suffix(".part")
        info["main"] = write(tmp, p)
        tmp.replace(main)
        info["main"]["path"] = str(main)
    else:
        info["main"] = {"path": str(main), "bytes": main.stat().st_size, "rows": p.rows,
                        "counters": len(p.columns), "migrations": p.migrations}
    info["columns"] = [c.path() for c in p.columns]
    if variants and size in VARIANTS:
        for enc, name in (("cp1252", "cp1252"), ("utf-16", "utf16")):
            dst = folder / f"capture-{size}-{name}.csv"
            if not dst.exists():
                tmp = dst.with_suffix(".part")
                transcode(main, tmp, enc)
                tmp.replace(dst)
            info[name] = {"path": str(dst), "bytes": dst.stat().st_size}
    return info


PS_SIZES = {"tiny": 4, "small": 2_900, "full": 14_400}
"""Samples (1 s apart) of the PowerShell long CSV per size: × 300 counters, about 227 bytes a row,
so 0.27 MB, 198 MB and 980 MB."""
PS_COLUMNS = (
    "Path", "InstanceName", "CookedValue", "RawValue", "SecondValue", "MultipleCount", "CounterType",
    "Timestamp", "Timestamp100NSec", "Status", "DefaultScale", "TimeBase",
)
_TICKS_1601 = 116_444_736_000_000_000
"""100 ns ticks from 1601-01-01 (Windows FILETIME) to 1970-01-01."""


def write_powershell(path: Path, samples: int, *, block: int = 200) -> dict:
    """Write ``(Get-Counter …).CounterSamples | Export-Csv`` of the tiny capture's 300 counters
    as PowerShell 7 on en-US does: UTF-8 without ``#TYPE`` line, every field quoted, CRLF (Windows),
    lower-cased paths, ``M/d/yyyy h:mm:ss tt`` local times, one row per sample and counter."""
    cols = plan(**SIZES["tiny"]).columns
    paths = pl.Series([c.path().lower() for c in cols])
    instances = pl.Series([(c.instance or "").lower() for c in cols])
    percent = np.array(["%" in c.counter for c in cols])
    kinds = pl.Series(np.where(percent, "Timer100Ns", "RateOfCountsPerSecond64"))
    rng = np.random.default_rng([6, 2])
    n = len(cols)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        out.write(('"' + '","'.join(PS_COLUMNS) + '"\r\n').encode("ascii"))
        for lo in range(0, samples, block):
            hi = min(lo + block, samples)
            stamps = np.datetime64(START, "ms") + np.repeat(np.arange(lo, hi) * 1000, n).astype("timedelta64[ms]")
            rows = (hi - lo) * n
            cooked = np.where(np.tile(percent, hi - lo), rng.random(rows) * 100, rng.integers(0, 2**30, rows) / 4)
            ticks = stamps.astype("datetime64[us]").astype(np.int64) * 10 + _TICKS_1601
            frame = pl.DataFrame({
                "Path": pl.concat([paths] * (hi - lo)),
                "InstanceName": pl.concat([instances] * (hi - lo)),
                "CookedValue": pl.Series(cooked).cast(pl.String).str.strip_suffix(".0"),
                "RawValue": rng.integers(0, 2**40, rows),
                "SecondValue": ticks,
                "MultipleCount": np.ones(rows, np.int64),
                "CounterType": pl.concat([kinds] * (hi - lo)),
                "Timestamp": pl.Series(stamps).dt.strftime("%-m/%-d/%Y %-I:%M:%S %p"),
                "Timestamp100NSec": ticks,
                "Status": np.zeros(rows, np.int64),
                "DefaultScale": np.zeros(rows, np.int64),
                "TimeBase": np.full(rows, 10_000_000),
            })
            frame.write_csv(out, include_header=False, quote_style="always", line_terminator="\r\n")
    return {"path": str(path), "bytes": path.stat().st_size, "rows": samples * n, "counters": n, "samples": samples}


def generate_powershell(folder: Path, size: str) -> dict:
    """Write ``powershell-<size>.csv`` (see :func:`write_powershell`) to ``folder`` unless present."""
    target = folder / f"powershell-{size}.csv"
    if not target.exists():
        tmp = target.with_suffix(".part")
        write_powershell(tmp, PS_SIZES[size])
        tmp.replace(target)
    n = len(plan(**SIZES["tiny"]).columns)
    return {"path": str(target), "bytes": target.stat().st_size, "rows": PS_SIZES[size] * n, "counters": n,
            "samples": PS_SIZES[size]}
