"""IR pass 4: genetically encoded connections become gene pools and gene tables."""

from __future__ import annotations

from .errors import (
    SnarcValueError,
)
from .ir import GenePool, GeneticSpec
from .signatures import OPS


def genetics(elab):
    g = elab.g
    pools: dict[str, GenePool] = {}
    genes: dict[tuple[str, str, str], int] = {}
    for u, v, k, e in sorted(g.edges(keys=True, data=True), key=lambda x: x[3].order):
        call = e.gene_call
        if call is None:
            continue
        span = call.span
        weighted = [i for i, op in enumerate(e.ops) if OPS[op.name].weighted]
        if len(weighted) != 1:
            raise SnarcValueError(
                "genetic encoding needs exactly one conv or linear in the connection, "
                f"found {len(weighted)}",
                span,
                notes=elab.notes_for_scope(g.nodes[v].scope),
            )
        i = weighted[0]
        op = e.ops[i]
        if op.name == "conv":
            if op.get("groups") != 1:
                raise SnarcValueError(
                    "genetic encoding of a grouped convolution is not supported", span
                )
            if len(op.in_shape) != 3:
                raise SnarcValueError(
                    "genetic encoding of a 1-d convolution (on a signal) is not supported", span
                )
            kernel = (op.get("kernel"), op.get("kernel"))
            unit = "channel"
            pre_units, post_units = op.in_shape[0], op.out_shape[0]
        else:
            kernel = None
            unit = "feature"
            pre_units = 1
            for s in op.in_shape:
                pre_units *= s
            post_units = op.out_shape[0]
        after = e.ops[i + 1 :]
        if any(
            o.out_shape[0] != post_units or len(o.out_shape) != len(op.out_shape) for o in after
        ):
            raise SnarcValueError(
                "a genetically encoded op must feed its target's neurons directly "
                f"(found {', '.join(o.name for o in after)} after {op.name})",
                span,
            )
        pool_name = call.pool or f"{u}->{v}#{k}"
        pool = GenePool(pool_name, call.rank, kernel, span)
        if pool_name in pools:
            prev = pools[pool_name]
            if prev.rank != pool.rank or prev.kernel != pool.kernel:
                what = (
                    f"ranks {prev.rank} and {pool.rank}"
                    if prev.rank != pool.rank
                    else f"kernels {prev.kernel} and {pool.kernel}"
                )
                raise SnarcValueError(
                    f"gene pool '{pool_name}' mixes {what}",
                    span,
                    notes=[("the pool is first used here", prev.span)],
                )
        else:
            pools[pool_name] = pool
        dst = g.nodes[v]
        offset = 0
        if dst.merge == "concat":
            for u2, _, k2, e2 in sorted(
                g.in_edges(v, keys=True, data=True), key=lambda x: x[3].order
            ):
                if (u2, k2) == (u, k):
                    break
                offset += e2.out_shape[0]
        for node, units in ((u, pre_units), (v, dst.shape[0])):
            key = (node, pool_name, unit)
            if genes.setdefault(key, units) != units:
                raise SnarcValueError(
                    f"'{node}' needs {units} {unit} genes in pool '{pool_name}' here, "
                    f"but {genes[key]} elsewhere",
                    span,
                )
        e.genetic = GeneticSpec(
            pool=pool_name,
            rank=call.rank,
            op_index=i,
            pre=(u, unit),
            post=(v, unit),
            post_offset=offset,
            post_units=post_units,
            pre_units=pre_units,
        )
    g.graph["gene_pools"] = pools
    g.graph["genes"] = genes
