"""What the user sees: Altair charts (:mod:`~kit.viz.charts`, reduced for display by
:mod:`~kit.viz.downsample`), chart files (:mod:`~kit.viz.save`), the offline HTML report
(:mod:`~kit.viz.html`) and the notebook views (:mod:`~kit.viz.widgets`).

Needs the ``viz`` extra (altair, vl-convert); the widgets also the ``notebook`` extra.
"""
