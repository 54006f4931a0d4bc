"""Paper presets of ``snarc evolve``: a search space, fitness and evolution settings that
follow a published method's released code, at the paper's size, and a CPU-size variant.
A preset only fills :class:`~snarc.evolution.config.Config` fields; a flag given on the
command line wins. docs/search-spaces.md compares each preset with the authors' code
and with snarc's own variant of the space."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .config import RunError

# SNASNet's network at CPU size: the paper's layout (static stem, cell, BN-LIF-conv-BN,
# pool, cell, BN-LIF, pool, dropout, spiking hidden layer, voted outputs), narrower, on
# 2-channel event frames (N-Digits-hard).
_SNASNET_CPU_NET = (
    "input frames(2, 32, 32) steps 5;"
    " stem : none; in -> stem : conv(3, 16) | bn;"
    " cell cell1 = cell(16) from stem;"
    " down : lif_paper; cell1 -> down : bn; mid : none; down -> mid : conv(3, 32) | bn;"
    " cell pool1 = avgpool(2) from mid;"
    " cell cell2 = cell(32) from pool1;"
    " last : lif_paper; cell2 -> last : bn; cell pool2 = avgpool(4) from last;"
    " hidden : lif_paper; pool2 -> hidden : flatten | dropout(0.5) | linear(256);"
    " fc : none; hidden -> fc : linear(100, bias: true); readout fc : vote(10) over mean;"
)


@dataclass(frozen=True)
class Preset:
    name: str
    method: str  # the paper
    settings: dict = field(default_factory=dict)  # Config fields
    data: tuple[str, ...] = ()  # data sets the preset's input fits (NAME of NAME:PATH); () any
    doc: str = ""

    def config_fields(self, given: dict) -> dict:
        """The preset's settings under the ones given explicitly."""
        data = given.get("data", self.settings.get("data"))
        if self.data and (data is None or data.split(":", 1)[0] not in self.data):
            raise RunError(
                f"preset {self.name} takes {' or '.join(self.data)} input at the paper's size",
                hint=f"give --data {self.data[0]}:PATH, or use {self.name}-cpu on the built-in data",
            )
        fields = {**copy.deepcopy(self.settings), **given}  # a run never edits a preset
        if "overrides" in self.settings and "overrides" in given:
            fields["overrides"] = {**self.settings["overrides"], **given["overrides"]}
        return fields


# SNASNet's released search (model_snn.find_best_neuroncell): one generation of random
# cells, each scored by SAHD averaged over two batches
_SNASNET_SEARCH = {
    "space": "snasnet-paper", "fitness": ["sahd"], "algorithm": "random", "generations": 0,
    "repeats": 2,
}  # fmt: skip

# AutoSNN's released search (2_script_search.sh, search_arch/evolution_algo.py): 20
# iterations of a 20-genome pool bred from a top-10 archive, fitness acc·(spikes/ref)^λ
_AUTOSNN_SEARCH = {
    "fitness": ["spike_aware_autosnn"], "algorithm": "autosnn", "population": 20,
    "top_k": 10, "site_mutation": 0.2, "generations": 19, "lam": -0.08,
}  # fmt: skip

# MSE-NAS at CPU size: C = 8 instead of 48 on N-Digits-hard's 32x32 frames, T = 8.
_MSENAS_CPU = {
    "input_line": "input frames(2, 32, 32) steps 8;",
    "ws": "24", "w0": "8", "wr1": "48", "w2": "16", "wr3": "96", "w4": "32", "wr5": "192",
    "classes": "10",
}  # fmt: skip

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "msenas-paper",
            "MSE-NAS (Pan et al. 2024)",
            {
                "space": "msenas-paper",
                "fitness": ["acc@10"],
                "algorithm": "nsga2",
                "population": 50,
                "generations": 100,
            },
            data=("dvsgesture",),
            doc="the released search (evolution.py): NSGA-II with population 50 and 50 "
            "offspring for 100 generations, each candidate trained 10 epochs and scored by "
            "its accuracy (snarc: held-out, never the test split); DVS128 Gesture at 48x48, "
            "T = 10",
        ),
        Preset(
            "msenas-paper-cpu",
            "MSE-NAS (Pan et al. 2024), CPU size",
            {
                "space": "msenas-paper",
                "fitness": ["cm"],
                "repeats": 2,
                "algorithm": "nsga2",
                "population": 12,
                "generations": 5,
                "data": "ndigits-hard",
                "overrides": dict(_MSENAS_CPU),
            },
            doc="the same space with C = 8 on N-Digits-hard, scored by the released "
            "training-free code's Cm (summed Manhattan distance of spike codes) instead of "
            "10 epochs of training",
        ),
        Preset(
            "autosnn-paper",
            "AutoSNN (Na et al., ICML 2022)",
            {**_AUTOSNN_SEARCH, "space": "autosnn-paper", "spikes_ref": 110_000.0},
            data=("cifar10",),
            doc="the released search (2_script_search.sh): 20 iterations of a 20-genome pool, "
            "a top-10 archive, 10 point mutations (p 0.2) and 10 one-point crossovers, fitness "
            "acc x (spikes / 110,000)^-0.08 with the supernet's accuracy and spikes counting "
            "max-pool outputs; needs --supernet DIR (snarc supernet train) and CIFAR-10",
        ),
        Preset(
            "autosnn-paper-cpu",
            "AutoSNN (Na et al., ICML 2022), CPU size",
            {**_AUTOSNN_SEARCH, "space": "autosnn", "data": "ndigits-hard"},
            doc="the same search in the `autosnn` space (event frames, batch-norm over all "
            "steps at once) on N-Digits-hard; spikes_ref is generation 0's median (110,000 is "
            "a CIFAR-10 count); needs --supernet DIR trained there (snarc supernet train DIR "
            "--data ndigits-hard)",
        ),
        Preset(
            "snasnet-paper",
            "SNASNet (Kim et al., ECCV 2022)",
            {**_SNASNET_SEARCH, "population": 5000, "batch": 256, "limit": None},
            data=("cifar10",),
            doc="random search over 5,000 cells of the released generator, each scored by "
            "SAHD averaged over two batches of 256 training images in train-mode BN; "
            "CIFAR-10 network of the released code (19.6 M parameters with the published cell)",
        ),
        Preset(
            "snasnet-paper-cpu",
            "SNASNet (Kim et al., ECCV 2022), CPU size",
            {
                **_SNASNET_SEARCH,
                "population": 200,
                "batch": 64,
                "limit": 400,
                "data": "ndigits-hard",
                "overrides": {"net": _SNASNET_CPU_NET},
            },  # fmt: skip
            doc="the same search (released generator, pruning, SAHD) with 200 samples on "
            "N-Digits-hard, the network narrowed to 16/32 channels and 256 hidden neurons",
        ),
    ]
}


def preset(name: str) -> Preset:
    if name not in PRESETS:
        raise RunError(f"unknown preset '{name}'", hint="one of " + ", ".join(PRESETS))
    return PRESETS[name]
