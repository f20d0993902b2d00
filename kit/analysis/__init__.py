"""The analyses: pure functions from the inputs (:mod:`kit.inputs`) to typed results
(:mod:`kit.analysis.results`). :func:`~kit.analysis.analyze.analyze` runs them all.

Modules by topic: ``windows`` (when each migration ran), ``roles`` (who sent, who received, over
which transport), ``nics`` (the NIC table and each host's traffic), ``throughput``, ``cores``,
``clock``, ``blackout``, ``channels``, ``findings`` and ``comparison`` (runs side by side).
They never open files and never draw.
"""
