"""The back edges of a depth-first walk: where a NIR graph's cycles close. NIR (and
snnTorch) write recurrence as a plain cycle through a neuron; the importer and the
reference both read such a cycle's closing edge as "the previous step"."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable


def back_edges(
    roots: Iterable[Hashable], successors: Callable[[Hashable], Iterable[tuple[Hashable, Hashable]]]
) -> set:
    """The labels of the edges that close a cycle in a depth-first walk from ``roots`` in
    order (``successors(node)`` gives ``(target, label)`` pairs, in a fixed order). An
    iterative walk: no recursion limit on long chains."""
    back: set = set()
    seen: set = set()
    on: set = set()
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        on.add(root)
        stack = [(root, iter(successors(root)))]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                on.discard(node)
                continue
            target, label = nxt
            if target in on:
                back.add(label)
            elif target not in seen:
                seen.add(target)
                on.add(target)
                stack.append((target, iter(successors(target))))
    return back
