"""How a generation is bred (a mixin of :class:`~snarc.evolution.run.Evolution`): the
first population, the children of each algorithm (NSGA-II, snarc's scalar evolution,
AutoSNN's released search, random search) and the survivors. Everything random draws
from the generation's seeded generator."""

from __future__ import annotations

import numpy as np

from .operators import (
    Child,
    crossover,
    cut_crossover,
    make_child,
    mutate,
    point_mutate,
    random_genome,
)
from .selection import nsga2_order


class Breeding:
    """Uses the run's ``cfg``, ``space``, ``validator``, ``rates``, ``_tree`` and
    ``_matrix`` (the objective matrix, lower is better)."""

    def _initial(self, rng, seen: set[str]):
        children, invalid, dups = [], 0, 0
        taken = set(seen)
        for _ in range(self.cfg.population):
            child, bad, dup = make_child(
                lambda: (random_genome(self.space, rng, self.cfg.max_depth), (), "random"),
                self.validator,
                taken,
                self.cfg.retries,
            )
            invalid, dups = invalid + bad, dups + dup
            if child is not None and child.hash not in taken:
                children.append(child)
                taken.add(child.hash)
        return children, invalid, dups

    def _offspring(self, population: list[str], rng, seen: set[str]):
        cfg = self.cfg
        trees = {h: self._tree(h) for h in population}
        F = self._matrix(population)
        taken = set(seen) | set(population)
        children: list[Child] = []
        invalid = dups = 0
        mode = cfg.mode
        if mode == "random":
            return self._initial(rng, taken)
        if mode == "nsga2":
            _, ranks, crowd = nsga2_order(F)

            def pick() -> str:
                i, j = rng.integers(len(population), size=2)
                better = i if (ranks[i], -crowd[i], i) <= (ranks[j], -crowd[j], j) else j
                return population[int(better)]

            def produce():
                a, b = pick(), pick()
                ta = trees[a]
                parents: tuple[str, ...] = (a,)
                op = "copy"
                if a != b and rng.random() < cfg.crossover:
                    ta, _ = crossover(self.space, ta, trees[b], rng)
                    parents, op = (a, b), "crossover"
                if op == "copy" or rng.random() < cfg.mutation:
                    ta = mutate(self.space, ta, rng, self.rates, cfg.max_depth)
                    op = "crossover+mutation" if op == "crossover" else "mutation"
                return ta, parents, op

            plan = [produce] * cfg.population
        elif mode == "autosnn":  # AutoSNN's released search: a top-k archive breeds
            return self._autosnn_offspring(population, trees, rng, taken)
        else:  # scalar, AutoSNN style: keep top-k, then mutations, crossovers, random fill
            k = self._top_k()
            order = np.argsort(F[:, 0], kind="stable")
            top = [population[int(i)] for i in order[:k]]

            def mut():
                a = top[int(rng.integers(len(top)))]
                return (
                    mutate(self.space, trees[a], rng, self.rates, cfg.max_depth),
                    (a,),
                    "mutation",
                )

            def cross():
                if len(top) < 2:
                    return mut()
                i, j = rng.choice(len(top), size=2, replace=False)
                child, _ = crossover(self.space, trees[top[int(i)]], trees[top[int(j)]], rng)
                return child, (top[int(i)], top[int(j)]), "crossover"

            def rand():
                return random_genome(self.space, rng, cfg.max_depth), (), "random"

            n = cfg.population - k
            n_mut, n_cross = n // 2, n // 4
            plan = [mut] * n_mut + [cross] * n_cross + [rand] * (n - n_mut - n_cross)
        for produce in plan:
            child, bad, dup = make_child(produce, self.validator, taken, cfg.retries)
            invalid, dups = invalid + bad, dups + dup
            if child is not None:
                children.append(child)
                taken.add(child.hash)
        return children, invalid, dups

    def _autosnn_offspring(self, archive: list[str], trees: dict, rng, taken: set[str]):
        """As AutoSNN's ``EvolutionarySearch``: P/2 children by point mutation of a
        random archive member (each choice switched with probability ``site_mutation``),
        P/2 by a one-point crossover of two distinct members, and random genomes for
        whatever those could not produce unseen within the retries."""
        cfg = self.cfg
        children: list[Child] = []
        invalid = dups = 0

        def mut():
            a = archive[int(rng.integers(len(archive)))]
            tree = point_mutate(self.space, trees[a], rng, cfg.site_mutation, cfg.max_depth)
            return tree, (a,), "mutation"

        def cross():
            if len(archive) < 2:
                return mut()
            i, j = rng.choice(len(archive), size=2, replace=False)
            a, b = archive[int(i)], archive[int(j)]
            return cut_crossover(self.space, trees[a], trees[b], rng), (a, b), "crossover"

        def rand():
            return random_genome(self.space, rng, cfg.max_depth), (), "random"

        half = cfg.population // 2
        for produce in [mut] * half + [cross] * half:
            child, bad, dup = make_child(produce, self.validator, taken, cfg.retries)
            invalid, dups = invalid + bad, dups + dup
            if child is not None:
                children.append(child)
                taken.add(child.hash)
        while len(children) < cfg.population:
            child, bad, dup = make_child(rand, self.validator, taken, cfg.retries)
            invalid, dups = invalid + bad, dups + dup
            if child is None:
                break
            children.append(child)
            taken.add(child.hash)
        return children, invalid, dups

    def _top_k(self) -> int:
        if self.cfg.mode == "autosnn":
            return self.cfg.top_k or max(2, self.cfg.population // 2)
        return self.cfg.top_k or max(2, self.cfg.population // 4)

    def _survivors(self, population: list[str], children: list[Child]) -> list[str]:
        cfg = self.cfg
        pool = list(dict.fromkeys(population + [c.hash for c in children]))
        if cfg.mode in ("nsga2", "random"):  # random search keeps its best by the same order
            order, _, _ = nsga2_order(self._matrix(pool))
            return [pool[int(i)] for i in order[: cfg.population]]
        k = self._top_k()
        if cfg.mode == "autosnn":  # the archive: the best k of everything it has seen
            F = self._matrix(pool)
            return [pool[int(i)] for i in np.argsort(F[:, 0], kind="stable")[:k]]
        F = self._matrix(population)
        top = [population[int(i)] for i in np.argsort(F[:, 0], kind="stable")[:k]]
        rest = [c.hash for c in children if c.hash not in top]
        merged = list(dict.fromkeys(top + rest))
        F = self._matrix(merged)
        return [merged[int(i)] for i in np.argsort(F[:, 0], kind="stable")][: cfg.population]
