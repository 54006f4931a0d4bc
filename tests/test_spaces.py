"""Search-space grammars and the parse-tree operators."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import snarc
from snarc.evolution.operators import Rates, Validator, crossover, make_child, mutate, random_genome
from snarc.evolution.space import (
    Node,
    SearchSpace,
    SpaceError,
    genome_hash,
    load_space,
    shipped_spaces,
)

SPACES = shipped_spaces()


def test_shipped_spaces():
    assert SPACES == [
        "autosnn", "autosnn-paper", "genetic", "msenas", "msenas-paper", "snasnet", "snasnet-paper",
    ]  # fmt: skip


def _space(name):
    """A shipped space; the paper-size spaces (millions of parameters a genome) as their
    CPU presets run them, so that 400 of them compile in seconds."""
    from snarc.evolution.config import Config, space_text
    from snarc.evolution.presets import PRESETS

    cpu = {"snasnet-paper": "snasnet-paper-cpu", "msenas-paper": "msenas-paper-cpu"}
    if name not in cpu:
        return load_space(name)
    return SearchSpace(*space_text(Config(**PRESETS[cpu[name]].config_fields({}))))


@pytest.mark.parametrize("name", SPACES)
def test_random_and_child_programs_all_check_and_compile(name):
    """200 random derivations and 200 mutation/crossover children: every one is a valid
    program that compiles, with the parameter count the summary gives."""
    space = _space(name)
    rng = np.random.default_rng(1)
    trees = [random_genome(space, rng) for _ in range(200)]
    children = []
    for i in range(200):
        a, b = trees[i], trees[(i * 7 + 3) % 200]
        if i % 2:
            child = mutate(space, a, rng)
        else:
            child = (
                mutate(space, crossover(space, a, b, rng)[0], rng)
                if i % 4
                else crossover(space, a, b, rng)[1]
            )
        children.append(child)
    texts = set()
    for t in trees + children:
        space.check_tree(t)
        text = space.canonical(t)
        assert snarc.format_source(text) == text
        texts.add(text)
    for text in sorted(texts):
        graph = space.validate(text)
        net = snarc.compile(graph)
        assert net.num_params() == graph.graph["params"]


def test_autosnn_space_has_exactly_3125_distinct_programs():
    space = load_space("autosnn")
    assert space.count() == 3125
    texts = {space.canonical(t) for t in space.enumerate()}
    assert len(texts) == 3125


def test_the_published_autosnn_cell_sequence_is_in_the_space(root):
    space = load_space("autosnn")
    wanted = ["srb(16, 5)", "srb(32, 5)", "identity", "srb(64, 3)", "srb(64, 5)"]

    def blocks(tree):
        return [
            next(s.node.leaves()) for s in space.sites(tree) if s.node.rule.startswith("block_")
        ]

    found = [t for t in space.enumerate() if blocks(t) == wanted]
    assert len(found) == 1
    text = space.canonical(found[0])
    g = space.validate(text.replace("input frames(2, 32, 32)", "input image(3, 32, 32)"))
    assert g.graph["params"] == 417_626  # the reference AutoSNN, as in examples/autosnn.snarc


def test_derivations_do_not_depend_on_python_hash_seed():
    code = (
        "import numpy as np;from snarc.evolution.space import load_space;"
        "s=load_space('msenas');print(s.derive(np.random.default_rng(5)).dumps())"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": str(h), "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for h in (1, 2, 3)
    }
    assert len(outs) == 1


def test_scales_from_tags_and_inheritance():
    space = load_space("msenas")
    tree = space.derive(np.random.default_rng(0))
    scales = {s.node.rule: s.scale for s in space.sites(tree)}
    assert scales["exc"] == "micro" and scales["template"] == "meso" and scales["fan_c2"] == "macro"
    # untagged rules take the scale of the nearest tagged ancestor
    assert scales["motif1"] == "macro"
    assert space.scale_of("ff_inh", "meso") == "meso"


def test_mutation_rates_choose_the_scale():
    space = load_space("msenas")
    rng = np.random.default_rng(0)
    tree = space.derive(rng)
    only_micro = Rates(micro=1, meso=0, macro=0)
    for _ in range(30):
        child = mutate(space, tree, rng, only_micro)
        diff = _differing_rules(space, tree, child)
        assert diff and diff <= {"syn", "exc", "inh", "rk"}


def _differing_rules(space, a: Node, b: Node) -> set[str]:
    """Rules of the deepest nodes whose subtrees differ."""
    if a == b:
        return set()
    if a.rule != b.rule or a.alt != b.alt:
        return {a.rule}
    out = set()
    for x, y in zip(a.children, b.children):
        if isinstance(x, Node) and x != y:
            out |= _differing_rules(space, x, y)
    return out or {a.rule}


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), name=st.sampled_from(SPACES))
def test_operators_are_pure_and_keep_trees_in_the_grammar(seed, name):
    space = load_space(name)
    rng = np.random.default_rng(seed)
    a, b = space.derive(rng), space.derive(rng)
    a_json, b_json = a.dumps(), b.dumps()
    m = mutate(space, a, rng)
    c, d = crossover(space, a, b, rng)
    assert a.dumps() == a_json and b.dumps() == b_json  # parents untouched
    for t in (m, c, d):
        space.check_tree(t)
        assert Node.from_json(t.to_json()) == t
    # crossover exchanges material: the multiset of the two children's leaves is the parents'
    assert sorted([*c.leaves(), *d.leaves()]) == sorted([*a.leaves(), *b.leaves()])


def test_same_seed_same_genomes():
    space = load_space("snasnet")
    one = [random_genome(space, np.random.default_rng(9)).dumps() for _ in range(3)]
    two = [random_genome(space, np.random.default_rng(9)).dumps() for _ in range(3)]
    assert one == two


def test_make_child_retries_invalid_and_duplicate_children():
    text = (
        'start: "network n { input vector(4) steps 2; a : LIF(); in -> a : linear(" width "); readout a over mean }"\n'
        'width: "4" | "0" | "-1"\n'
    )
    space = SearchSpace(text, "<test>", "tiny")
    rng = np.random.default_rng(0)
    validate = Validator(space)
    child, invalid, dups = make_child(
        lambda: (space.derive(rng), (), "random"), validate, set(), retries=50
    )
    assert child is not None and "linear(4)" in child.text
    # the two other widths are rejected by the language, and memoised as invalid
    bad = [
        Node("start", 0, (c.children[0], Node("width", i, (w,)), c.children[2]))
        for i, w in ((1, "0"), (2, "-1"))
        for c in [child.tree]
    ]
    assert [validate(t) for t in bad] == [None, None]
    # with the only valid program already seen, retries run out on duplicates
    child2, invalid2, dups2 = make_child(
        lambda: (space.derive(rng), (), "random"), validate, {child.hash}, retries=10
    )
    assert dups2 + invalid2 == 10 and child2.hash == child.hash
    assert child.hash == genome_hash(child.text)


def test_space_errors_are_clear(tmp_path):
    with pytest.raises(SpaceError, match="regular expression"):
        SearchSpace('start: "network " NAME\nNAME: /[a-z]+/\n', "re.lark")
    with pytest.raises(SpaceError, match="never end"):
        SearchSpace('start: "a" start\n', "loop.lark")
    with pytest.raises(SpaceError, match="recursive"):
        SearchSpace('start: "a" | "a" start\n', "rec.lark").count()
    with pytest.raises(SpaceError, match="unknown search space 'nope'"):
        load_space("nope")
    with pytest.raises(SpaceError, match="tag"):
        SearchSpace('// @micro\n\nx = 1\nstart: "a"\n', "tag.lark")
    with pytest.raises(SpaceError, match="not a valid Lark grammar"):
        SearchSpace("start: (\n", "bad.lark")


def test_a_user_space_with_recursion_is_depth_bounded():
    text = (
        "// @macro\n"
        'start: "neuron lif = LIF(); network n { input vector(8) steps 2;" layers "readout h over mean }"\n'
        "// @meso\n"
        'layers: "h : lif; in -> h : linear(" w ");" | "g : lif; in -> g : linear(" w "); h : lif; g -> h : linear(" w ");"\n'
        "// @micro\n"
        'w: "8" | "16"\n'
    )
    space = SearchSpace(text, "<user>", "user")
    assert space.count() == 2 + 4
    rng = np.random.default_rng(3)
    for _ in range(20):
        space.validate(space.canonical(space.derive(rng, max_depth=3)))
