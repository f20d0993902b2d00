r"""One identity for a network adapter and for a host, whatever spells them.

One adapter has many names in the files a test leaves behind:

* ``Network Interface`` / ``Network Adapter`` instances: its description escaped by PDH
  (``(`` → ``[``, ``)`` → ``]``, ``#`` → ``_``, ``/`` → ``_``, ``\`` → ``_``), e.g.
  ``Mellanox ConnectX-3 Pro Ethernet Adapter _2``, ``Intel[R] Ethernet 10G 2P X520 Adapter``;
* ``RDMA Activity``, ``SMB Direct Connection`` and ``Per Processor Network Interface Card
  Activity`` instances and the topology's ``InterfaceDescription``: the description as it is,
  ``… Adapter #2``, ``Intel(R) …``;
* the topology's ``Name`` (the alias, ``SLOT 6 Port 1``) and ``ifIndex``, which name the adapter
  only through the topology's adapter list (``kit.analysis.nics``).

:func:`nic_key` maps every spelling of the first two kinds to one key (the escaped description,
case-folded): every NIC table of the kit is keyed on it, so one adapter is one row. PDH appends
``#N`` to repeated instance names (kept apart as ``index`` in the catalogue); a NIC with an index
gets ``#N`` on its key, which no escaped name can contain.

Hosts: ``hv01.lab.local``, ``HV01`` and ``hv01`` are one host (:func:`host_key`).
"""

from __future__ import annotations

import polars as pl

PDH_ESCAPES = {"(": "[", ")": "]", "#": "_", "/": "_", "\\": "_"}
"""Characters PDH replaces in the instance names of classic counter sets."""


def escape_instance(description: str) -> str:
    r"""The perf instance name that classic providers make of an adapter description.

    >>> escape_instance("Intel(R) PRO/1000 MT #2")
    'Intel[R] PRO_1000 MT _2'
    """
    return description.translate(str.maketrans(PDH_ESCAPES))


def escaped_of(description: str | pl.Expr) -> pl.Expr:
    """:func:`escape_instance` of a column (or expression) of adapter descriptions."""
    expr = pl.col(description) if isinstance(description, str) else description
    return expr.str.replace_many(list(PDH_ESCAPES), list(PDH_ESCAPES.values()))


def nic_key_of(name: str | pl.Expr, index: str | pl.Expr | None = None) -> pl.Expr:
    """The NIC key of a column (or expression) of adapter names, with the PDH duplicate
    ``index`` (a column of integers, null for none) where there is one."""
    key = escaped_of(name).str.strip_chars().str.to_lowercase()
    if index is None:
        return key
    number = pl.col(index) if isinstance(index, str) else index
    return pl.when(number.is_null()).then(key).otherwise(pl.concat_str(key, pl.lit("#"), number.cast(pl.String)))


def nic_key(name: str, index: int | None = None) -> str:
    """One key for every spelling of an adapter's description or perf instance.

    >>> nic_key("Mellanox ConnectX-3 Pro Ethernet Adapter #2")
    'mellanox connectx-3 pro ethernet adapter _2'
    >>> nic_key("Mellanox ConnectX-3 Pro Ethernet Adapter _2")
    'mellanox connectx-3 pro ethernet adapter _2'
    >>> nic_key("Intel(R) Ethernet 10G 2P X520 Adapter") == nic_key("intel[r] ethernet 10g 2p x520 adapter")
    True
    >>> nic_key("Intel[R] Ethernet _2", index=1)
    'intel[r] ethernet _2#1'
    """
    frame = pl.DataFrame({"name": [name], "index": [index]}, schema={"name": pl.String, "index": pl.Int64})
    return frame.select(nic_key_of("name", "index")).item()


def host_key_of(name: str | pl.Expr) -> pl.Expr:
    """The host key of a column of host names: upper case, without the DNS domain."""
    expr = pl.col(name) if isinstance(name, str) else name
    return expr.str.strip_chars().str.to_uppercase().str.split(".").list.first()


def host_key(name: str) -> str:
    """One key for every spelling of a host name.

    >>> host_key("hv01.lab.local"), host_key("HV01")
    ('HV01', 'HV01')
    """
    return pl.select(host_key_of(pl.lit(name))).item()
