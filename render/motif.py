"""One motif drawn on its own: the motif of a file, instantiated once with the arguments
and input shape the caller gives, inside a one-cell network (``cell m = NAME(ARGS) from
in``) whose drawing shows the motif's populations, connections and shapes."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_INPUT = "frames(2, 32, 32)"


def motif_graph(path: str | os.PathLike, motif: str, args: str = "", input: str = DEFAULT_INPUT):  # noqa: A002
    """The IR of a network made of one instance of ``motif`` from the file ``path``.

    ``args``: the motif's arguments as written in a call (``"16, k: 5"``); ``input``:
    the input statement's shape (``"image(3, 32, 32)"``). Errors point into the file, or
    into the one-cell program (named ``<motif NAME>`` beside the file) for the arguments.
    """
    from ..dsl import SnarcError, ast, elaborate_module
    from ..dsl.loader import Loader

    path = Path(path)
    loader = Loader()
    library = loader.parse_path(path)
    motifs = {m.name for m in library.items if isinstance(m, ast.MotifDef)}
    if motif not in motifs:
        raise SnarcError(
            f"{path} has no motif '{motif}'",
            hint="its motifs: " + (", ".join(sorted(motifs)) or "none"),
        )
    text = (
        f'import "{path.name}"\n\n'
        f"network {motif}_alone {{\n"
        f"  input {input} steps 1\n"
        f"  cell m = {motif}({args}) from in\n"
        f"  readout m over mean\n"
        f"}}\n"
    )
    # named as a file beside the library, so that its import resolves there
    name = str(path.resolve().parent / f"<motif {motif}>")
    module = loader.parse_text(text, name)
    return elaborate_module(module, loader)
