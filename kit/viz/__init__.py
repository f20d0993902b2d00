"""What the user sees: Altair charts (:mod:`~kit.viz.charts`, reduced for display by
:mod:`~kit.viz.downsample`), chart files (:mod:`~kit.viz.save`), the offline HTML report
(:mod:`~kit.viz.html`) and the notebook views (:mod:`~kit.viz.widgets`).

Needs the ``viz`` extra (altair, vl-convert); the widgets also the ``notebook`` extra.
"""

import sys

# Altair imports jsonschema, whose format checkers import ``rfc3987_syntax`` when it is installed
# (JupyterLab's dependencies bring it); that module builds its lark grammars at import: about 2 s
# of every cold start, for an "iri" format check no Vega-Lite spec of ours uses. Unless something
# imported it already, jsonschema is told it is absent (it then skips that one checker).
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
