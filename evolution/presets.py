"""Paper presets of ``snarc evolve``: a search space, fitness and evolution settings that
follow a published method's released code, at the paper's size, and a CPU-size variant.
A preset only fills :class:`~snarc.evolution.config.Config` fields; a flag given on the
command line wins. docs/search-spaces.md compares each preset with the authors' code
and with snarc's own variant of the space."""

from __future__ import annotations

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
        fields = {**self.settings, **given}
        if "overrides" in self.settings and "overrides" in given:
            fields["overrides"] = {**self.settings["overrides"], **given["overrides"]}
        return fields


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            "snasnet-paper",
            "SNASNet (Kim et al., ECCV 2022)",
            {
                "space": "snasnet-paper",
                "fitness": ["sahd"],
                "algorithm": "random",
                "population": 5000,
                "generations": 0,
                "batch": 256,
                "limit": None,
            },
            data=("cifar10",),
            doc="random search over 5,000 cells of the released generator, each scored by "
            "SAHD on 256 training images in train-mode BN; CIFAR-10 network of the released "
            "code (19.6 M parameters with the published cell)",
        ),
        Preset(
            "snasnet-paper-cpu",
            "SNASNet (Kim et al., ECCV 2022), CPU size",
            {
                "space": "snasnet-paper",
                "fitness": ["sahd"],
                "algorithm": "random",
                "population": 200,
                "generations": 0,
                "batch": 64,
                "limit": 400,
                "data": "ndigits-hard",
                "overrides": {"net": _SNASNET_CPU_NET},
            },
            doc="the same search (released generator, pruning, SAHD) with 200 samples on "
            "N-Digits-hard, the network narrowed to 16/32 channels and 256 hidden neurons",
        ),
    ]
}


def preset(name: str) -> Preset:
    if name not in PRESETS:
        raise RunError(f"unknown preset '{name}'", hint="one of " + ", ".join(PRESETS))
    return PRESETS[name]
