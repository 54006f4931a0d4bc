"""What an evolution run is asked to do: objectives, settings, and the space's text."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from ..dsl.errors import SnarcError
from .operators import Rates
from .space import DEFAULT_MAX_DEPTH, load_space


def check_data(data: str) -> None:
    """Open a real dataset's directory once in this process, so that a missing or badly
    laid out dataset stops the run before any genome is evaluated (built-in ones are made)."""
    from ..data.builtin import builtin_camera

    if builtin_camera(data) is not None:
        return
    from ..data.real import open_dataset

    open_dataset(data, train=True)


def objective_registry() -> dict:
    """Every training-free objective a run may optimise (:data:`snarc.fitness.OBJECTIVES`):
    its direction and, for combined ones, the scores it needs, live on its definition."""
    from ..fitness.score import OBJECTIVES

    return OBJECTIVES


def definition(name: str):
    """The definition of objective ``name``: a training-free score or combination, or a
    trained measure (``acc@E``, ``loss@E``: :mod:`snarc.evolution.fidelity`); else None."""
    from .fidelity import trained

    return objective_registry().get(name) or trained(name)


class RunError(SnarcError):
    kind = "run error"


@dataclass(frozen=True)
class Objective:
    name: str
    direction: str  # "max" | "min"

    @classmethod
    def parse(cls, text: str) -> Objective:
        name, _, direction = text.strip().partition(":")
        spec = definition(name)
        if spec is None:
            from .fidelity import SUPERNET

            known = [*objective_registry(), "acc@E", "loss@E", *SUPERNET]
            raise RunError(f"unknown fitness '{name}'", hint=f"one of {', '.join(known)}")
        direction = direction or spec.direction
        if direction not in ("max", "min"):
            raise RunError(f"'{text}': the direction must be max or min")
        return cls(name, direction)

    def __str__(self) -> str:
        return f"{self.name}:{self.direction}"


@dataclass
class Config:
    space: str = "msenas"
    fitness: list[str] = field(default_factory=lambda: ["rdm", "spikes"])
    algorithm: str = "auto"  # nsga2 | scalar | autosnn | random | auto (nsga2 for >1)
    population: int = 20
    generations: int = 5
    seed: int = 0
    data: str = "ndigits"
    batch: int = 50
    repeats: int = 1  # scoring batches per genome (each training-free score their mean)
    limit: int | None = 200
    layers: str = "populations"
    rates: str = "micro=1,meso=1,macro=0.5"
    crossover: float = 0.9
    mutation: float = 1.0
    top_k: int | None = None
    site_mutation: float = 0.2  # autosnn: chance that each choice of a genome switches
    max_depth: int = DEFAULT_MAX_DEPTH
    retries: int = 20
    max_params: int | None = None
    spikes_ref: float | None = None
    lam: float = -0.08
    supernet: str | None = None  # a trained supernet (snarc supernet train) for supernet_acc
    overrides: dict[str, str] = field(default_factory=dict)
    executor: str = "process"
    infra_retries: int = 2  # retries of an evaluation whose worker died or timed out
    workers: int | None = None
    timeout: float | None = 600.0
    address: str | None = None

    # settings that may change on resume without changing the result
    RUNTIME = ("executor", "workers", "timeout", "address", "infra_retries")

    @property
    def objectives(self) -> list[Objective]:
        return [Objective.parse(f) for f in self.fitness]

    @property
    def mode(self) -> str:
        if self.algorithm == "auto":
            return "nsga2" if len(self.fitness) > 1 else "scalar"
        return self.algorithm

    def measures(self) -> tuple[str, ...]:
        out: list[str] = []
        for o in self.objectives:
            for m in getattr(definition(o.name), "needs", (o.name,)):
                if m not in out:
                    out.append(m)
        for m in ("spikes", "params"):  # always recorded: cheap and always wanted
            if m not in out:
                out.append(m)
        return tuple(out)

    def validate(self) -> None:
        if not self.fitness:
            raise RunError("give at least one fitness")
        self.objectives  # noqa: B018 - parses and checks every objective
        if self.mode not in ("nsga2", "scalar", "random", "autosnn"):
            raise RunError(
                f"unknown algorithm '{self.algorithm}'",
                hint="one of nsga2, scalar, autosnn, random, auto",
            )
        if self.mode in ("scalar", "autosnn") and len(self.fitness) != 1:
            raise RunError(f"the {self.mode} algorithm takes exactly one fitness")
        if not 0.0 < self.site_mutation <= 1.0:
            raise RunError("--site-mutation is a probability above 0")
        from .fidelity import SUPERNET

        if any(m in SUPERNET for m in self.measures()):
            from pathlib import Path

            if not self.supernet:
                raise RunError(
                    "supernet_acc, supernet_spikes and spike_aware_supernet need a trained "
                    "supernet", hint="snarc supernet train DIR, then --supernet DIR"
                )  # fmt: skip
            if not (Path(self.supernet) / "supernet.pt").exists():
                raise RunError(f"--supernet {self.supernet}: no supernet.pt there")
        if self.repeats < 1:
            raise RunError("--repeats: score on at least one batch")
        if self.population < 2:
            raise RunError("the population must hold at least 2 genomes")
        if self.generations < 0:
            raise RunError("the number of generations cannot be negative")
        try:
            Rates.parse(self.rates)
        except ValueError as err:
            raise RunError(str(err)) from None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Config:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def space_text(cfg: Config) -> tuple[str, str, str]:
    """``(text, origin, name)`` of the configured space with its overrides applied."""
    space = load_space(cfg.space)
    text = space.text
    for rule, literal in cfg.overrides.items():
        if rule not in space.alternatives:
            raise RunError(f"--override {rule}=...: space '{space.name}' has no rule '{rule}'")
        text += f"\n%override {rule}: {json.dumps(literal)}\n"
    return text, space.origin, space.name
