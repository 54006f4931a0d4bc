"""Genome validation throughput: derivation tree → canonical program → checked IR.

Every child evolution proposes is validated in the parent (formatted to its canonical
text, parsed, elaborated against the standard library) before it is evaluated. This
prints, per shipped search space, genomes validated per second by
:class:`snarc.evolution.operators.Validator` (a fresh one, so nothing is memoised),
against a named peer measured in the same run: a bare Lark LALR parse of the same
canonical texts with the language's grammar (the parse tree only). The ratio says how
many bare parses one validation costs.

    python benchmarks/bench_validate.py [--n 200] [--seed 0] [--spaces msenas autosnn]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from snarc.dsl.parser import lark_parser
from snarc.evolution import load_space, random_genome
from snarc.evolution.operators import Validator
from snarc.evolution.space import shipped_spaces


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--spaces", nargs="*", default=None)
    args = ap.parse_args()
    lark = lark_parser()
    print(f"{'space':10s} {'genomes/s':>10s} {'bare parses/s':>14s} {'ratio':>7s}  valid")
    for name in args.spaces or shipped_spaces():
        space = load_space(name)
        rng = np.random.default_rng(args.seed)
        trees = [random_genome(space, rng) for _ in range(args.n)]
        validate = Validator(space)
        t0 = time.perf_counter()
        results = [validate(t) for t in trees]
        t_validate = time.perf_counter() - t0
        texts = [r[0] for r in results if r is not None]
        t0 = time.perf_counter()
        for text in texts:
            lark.parse(text)
        t_parse = (time.perf_counter() - t0) * len(trees) / max(1, len(texts))
        print(
            f"{name:10s} {len(trees) / t_validate:10.1f} {len(trees) / t_parse:14.1f} "
            f"{t_validate / t_parse:7.1f}  {len(texts)}/{len(trees)}",
            flush=True,
        )


if __name__ == "__main__":
    main()
