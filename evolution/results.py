"""What a run leaves behind: the front as .snarc files, JSON, plots and a drawing.

DIR/front/01-<hash>.snarc   the final front, best first by the first objective
DIR/best.snarc              the best genome
DIR/results.json            objectives and measures of the front, per-generation stats
DIR/front.png|svg           every evaluated genome, the final front highlighted
DIR/hypervolume.png|svg     hypervolume (and best score) per generation
DIR/best-macro.svg          the best genome drawn by `snarc render` (needs `dot`)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from ..util.fileio import atomic_write, real_directory


def _label(o) -> str:
    return f"{o.name} ({'higher' if o.direction == 'max' else 'lower'} is better)"


def _value(o, f: float) -> float:
    return -f if o.direction == "max" else f


def front_rows(evo) -> list[dict]:
    rows = []
    records = evo.front()
    if not records:
        return rows
    F = evo._matrix([r.hash for r in records])
    trained = evo.store.trained()
    for rank, (r, f) in enumerate(zip(records, F), 1):
        row = {"rank": rank, "hash": r.hash, "generation": r.generation, "operator": r.operator}
        for o, v in zip(evo.objectives, f):
            row[o.name] = _value(o, float(v))
        row["params"] = r.measures.get("params")
        row["spikes"] = r.measures.get("spikes")
        if r.hash in trained:
            row["trained_accuracy"] = trained[r.hash]["accuracy"]
        rows.append(row)
    return rows


def _save(fig, out: Path, stem: str) -> list[Path]:
    import io

    paths = []
    for fmt in ("png", "svg"):
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=120, bbox_inches="tight")
        paths.append(atomic_write(out / f"{stem}.{fmt}", buf.getvalue()))
    return paths


def plots(evo) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    out = evo.out
    objs = evo.objectives
    records = [r for r in evo.store.records() if r.ok]
    front = {r.hash for r in evo.front()}
    paths: list[Path] = []
    if records:
        F = evo._matrix([r.hash for r in records])
        gens = np.array([r.generation for r in records])
        fig, ax = plt.subplots(figsize=(5.5, 4.2))
        if len(objs) >= 2:
            x, y = (np.array([_value(objs[k], v) for v in F[:, k]]) for k in (0, 1))
            # generations are whole numbers: one colour each, a tick each
            from matplotlib.colors import BoundaryNorm

            top = int(gens.max())
            cmap = plt.get_cmap("viridis", top + 1)
            norm = BoundaryNorm(np.arange(-0.5, top + 1.5), cmap.N)
            sc = ax.scatter(x, y, c=gens, cmap=cmap, norm=norm, s=18, alpha=0.7, label="evaluated")
            bar = fig.colorbar(sc, ax=ax, label="generation first seen")
            bar.set_ticks(range(0, top + 1, max(1, (top + 1) // 10)))
            m = np.array([r.hash in front for r in records])
            order = np.argsort(x[m])
            ax.plot(
                x[m][order],
                y[m][order],
                "o-",
                color="crimson",
                mfc="none",
                ms=9,
                label="final front",
            )
            ax.set_xlabel(_label(objs[0]))
            ax.set_ylabel(_label(objs[1]))
        else:
            v = np.array([_value(objs[0], f) for f in F[:, 0]])
            ax.scatter(gens, v, s=14, alpha=0.6, label="evaluated")
            ax.set_xlabel("generation")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel(_label(objs[0]))
        ax.set_title(f"{evo.space.name}: {len(records)} architectures")
        ax.legend(loc="best", fontsize=8)
        paths += _save(fig, out, "front")
        plt.close(fig)
    stats = evo.store.generations()
    if stats:
        fig, ax = plt.subplots(figsize=(5.5, 3.6))
        g = [s["generation"] for s in stats]
        if len(objs) >= 2:
            ax.plot(g, [s["hypervolume"] or 0 for s in stats], "o-")
            ax.set_ylabel("hypervolume (normalised by generation 0)")
        else:
            ax.plot(g, [s["best"] if s["best"] is not None else np.nan for s in stats], "o-")
            ax.set_ylabel(f"best {objs[0].name}")
        ax.set_xlabel("generation")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        paths += _save(fig, out, "hypervolume")
        plt.close(fig)
    return paths


def write_results(evo) -> dict:
    out = evo.out
    rows = front_rows(evo)
    front_dir = real_directory(out / "front")
    keep = set()
    for row in rows:
        rec = evo.store.get(row["hash"])
        name = f"{row['rank']:02d}-{row['hash']}.snarc"
        keep.add(name)
        atomic_write(front_dir / name, rec.text)
    for stale in front_dir.glob("*.snarc"):
        if stale.name not in keep and (stale.is_symlink() or stale.is_file()):
            stale.unlink()  # a link itself, never what it points to
    best = None
    if rows:
        best = rows[0]
        atomic_write(out / "best.snarc", evo.store.get(best["hash"]).text)
    summary = {
        "space": evo.space.name,
        "objectives": [str(o) for o in evo.objectives],
        "algorithm": evo.cfg.mode,
        "evaluated": evo.store.count(),
        "failed": sum(1 for r in evo.store.records() if not r.ok),
        "generations": evo.store.generations(),
        "front": rows,
        "best": best,
    }
    atomic_write(out / "results.json", json.dumps(summary, indent=2) + "\n")
    summary["plots"] = [str(p) for p in plots(evo)]
    summary["drawing"] = None
    if best is not None:
        try:
            from ..dsl import elaborate, parse
            from ..render import RenderError, layout, render_file

            graph = elaborate(parse(evo.store.get(best["hash"]).text, str(out / "best.snarc")))
            summary["drawing"] = str(render_file(layout(graph, "macro"), out / "best-macro.svg"))
        except RenderError as err:
            summary["drawing_error"] = str(err)
    return summary


def show_table(evo, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console(width=None if sys.stdout.isatty() else 160)
    rows = front_rows(evo)
    stats = evo.store.generations()
    cfg = evo.cfg
    table = Table(
        title=f"{evo.out}: {evo.space.name}, {cfg.mode}, generation {stats[-1]['generation'] if stats else '-'}"
        f"/{cfg.generations}, {evo.store.count()} evaluated"
    )
    cols = ["rank", "hash", *[o.name for o in evo.objectives]]
    cols += [c for c in ("params", "spikes") if c not in cols]
    if any("trained_accuracy" in r for r in rows):
        cols.append("trained_accuracy")
    cols += ["generation", "operator"]
    for c in cols:
        table.add_column(
            c, justify="right" if c not in ("hash", "operator") else "left", no_wrap=c == "hash"
        )
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c)
            if isinstance(v, float):
                cells.append(f"{v:,.0f}" if c in ("params", "spikes") else f"{v:.4g}")
            else:
                cells.append("-" if v is None else str(v))
        table.add_row(*cells)
    console.print(table)
    if stats and stats[-1].get("hypervolume") is not None:
        console.print(
            f"hypervolume {stats[-1]['hypervolume']:.4f}  (generation 0: {stats[0]['hypervolume'] or 0:.4f})"
        )
