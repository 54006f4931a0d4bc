"""`snarc evolve-genes`: evolve the initial genetic encodings of a program with CMA-ES and
the two dynamic regularisers, then (optionally) train the best encoding."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from ..dsl.errors import SnarcError
from ..util.fileio import read_text
from . import args as A

# flag (dest) -> GeneSearchConfig field, each None unless given (resume keeps the run's)
FLAGS = (
    ("--generations", {"type": A.positive_int, "help": "default 10 (on --resume: more to add)"}),
    ("--popsize", {"type": A.positive_int, "help": "candidates per generation (default: CMA-ES's 4 + 3 ln n)"}),
    ("--sigma", {"type": A.positive_float, "help": "initial step size (default 0.5; genes start ~ N(0, 1))"}),
    ("--seed", {"type": A.seed, "help": "default 0"}),
    ("--entropy", {"type": A.non_negative_float, "help": "λ_H of the interaction-entropy term (default 0.1; 0: off)"}),
    ("--td", {"type": A.non_negative_float, "help": "λ_TD of the temporal-difference term (default 0.1; 0: off)"}),
    ("--fitness", {"help": "train (default: a short training's validation accuracy), train_loss "
                   "(minus its validation cross-entropy) or a score (rdm, sahd, ...)"}),
    ("--data", {"help": "ndigits (default), ndigits-hard, or NAME:PATH"}),
    ("--limit", {"type": A.positive_int, "help": "training samples per candidate (default 200)"}),
    ("--epochs", {"type": A.positive_int, "help": "epochs of each candidate's short training (default 1)"}),
    ("--batch", {"type": A.positive_int, "help": "default 32"}),
    ("--lr", {"type": A.positive_float, "help": "default 0.002"}),
    ("--gene-lr", {"type": A.positive_float, "help": "genes' learning-rate multiplier (default 10)"}),
    ("--workers", {"type": A.positive_int, "help": "processes measuring candidates (default 1)"}),
    ("--executor", {"choices": ("serial", "process", "ray"),
                    "help": "default: serial for one worker, else a process pool"}),
    ("--address", {"help": "a Ray cluster (with --executor ray)"}),
)  # fmt: skip


def cmd_evolve_genes(args) -> int:

    from ..evolution.gene_search import GeneSearchConfig, evolve_genes
    from ..evolution.gene_store import NAME, GeneStore

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    out = Path(args.out)
    text = read_text(Path(args.file), "program")
    given = {
        flag[2:].replace("-", "_"): getattr(args, flag[2:].replace("-", "_"))
        for flag, _ in FLAGS
        if getattr(args, flag[2:].replace("-", "_")) is not None
    }
    settings = {}
    if args.resume:
        if not (out / NAME).exists():
            raise SnarcError(f"{out}: no gene search to resume ({NAME} is missing)")
        store = GeneStore(out)
        settings = store.get_meta("config") or {}
        store.close()
    cfg = GeneSearchConfig(**{**settings, **given})
    result = evolve_genes(text, out, cfg, resume=args.resume, progress=not args.quiet)
    print(
        f"best encoding: generation {result['generation'] + 1}, fitness {result['fitness']:.4f} "
        f"(measure {result['measure']:.4f}, H {result['entropy']:.3f}, TD {result['td']:.4f}); "
        f"{result['genes']} genes -> {result['out']}"
    )
    if args.train_epochs:
        from ..training import TrainConfig, train

        trained = train(
            text,
            TrainConfig(
                epochs=args.train_epochs,
                seed=cfg.seed,
                data=cfg.data,
                init=result["out"],
                lr=cfg.lr,
                gene_lr=cfg.gene_lr,
            ),
            out / "trained",
            progress=not args.quiet,
        )
        result["trained"] = {
            k: trained[k] for k in ("accuracy", "spikes", "params") if k in trained
        }
        print(
            f"trained {args.train_epochs} epochs from it: test accuracy {trained.get('accuracy')}"
        )
    if args.json:
        print(json.dumps(result))
    return 0


def add_parsers(sub, limits) -> None:
    sp = sub.add_parser(
        "evolve-genes",
        help="evolve a genetically encoded program's initial genes with CMA-ES",
        description="Evolve the initial encodings (every X and O) of a program's genetic "
        "connections with CMA-ES; fitness = a short training's validation accuracy (or a "
        "training-free score) + λ_H·entropy of each interaction − λ_TD·distance from the "
        "last generation's best. Stored in OUT/genes.sqlite (resumable); the best encoding "
        "goes to OUT/genes.pt (snarc train --init).",
    )
    sp.add_argument("file", metavar="FILE.snarc")
    sp.add_argument("-o", "--out", required=True, metavar="DIR")
    sp.add_argument("--resume", action="store_true", help="continue the search in OUT")
    for flag, kw in FLAGS:
        sp.add_argument(flag, default=None, **kw)
    sp.add_argument("--train-epochs", type=A.positive_int, metavar="N",
                    help="then train the best encoding N epochs into OUT/trained")  # fmt: skip
    sp.add_argument("--json", action="store_true", help="print the result as JSON")
    sp.add_argument("-q", "--quiet", action="store_true")
    limits(sp)
    sp.set_defaults(func=cmd_evolve_genes)
