"""Evolution of architectures over grammar-defined search spaces (grammars/spaces/).

* :mod:`.space` - a search space: a Lark grammar whose sentences are snarc programs;
  derivation trees, scale tags, enumeration;
* :mod:`.operators` - random genomes, mutation, crossover, validated children;
* :mod:`.run` - a run: configuration, NSGA-II / scalar / random selection, resume;
* :mod:`.store` - the run's SQLite store;
* :mod:`.evaluate` - scoring one genome, and the serial, process-pool and Ray executors;
* :mod:`.results` - the front as files, plots and tables.

Importing this package does not import torch; evaluation does, in the worker.
"""

from .operators import Rates, crossover, mutate, random_genome
from .run import Config, Evolution, RunError
from .space import Node, SearchSpace, SpaceError, load_space, shipped_spaces

__all__ = [
    "Config",
    "Evolution",
    "Node",
    "Rates",
    "RunError",
    "SearchSpace",
    "SpaceError",
    "crossover",
    "load_space",
    "mutate",
    "random_genome",
    "shipped_spaces",
]
