"""The IR passes that follow instantiation, run in this order by :func:`run_passes`:

1. :func:`~snarc.dsl.pass_relays.elide_relays` — relays that forward one plain
   connection are removed;
2. :func:`~snarc.dsl.pass_cycles.check_cycles` — every cycle carries a delay; the
   delay-free topological order;
3. :func:`~snarc.dsl.pass_shapes.infer_shapes` — shapes and operation records, delayed
   connections checked;
4. :func:`~snarc.dsl.pass_genetics.genetics` — gene pools and tables;
5. :func:`~snarc.dsl.pass_count.count` — parameters and neurons, the ceilings;
6. :func:`~snarc.dsl.pass_lint.lint` — warnings.

Each takes the elaborator (its graph ``g``, ``error``/``notes_for_scope`` for errors
that name the instantiating cells, ``warnings``) as lark's ``load_grammar`` runs one
small step per concern.
"""

from __future__ import annotations

from .pass_count import count
from .pass_cycles import check_cycles
from .pass_genetics import genetics
from .pass_lint import lint
from .pass_relays import elide_relays
from .pass_shapes import infer_shapes


def run_passes(elab, net) -> None:
    elide_relays(elab)
    check_cycles(elab)
    infer_shapes(elab)
    genetics(elab)
    count(elab, net)
    lint(elab)
