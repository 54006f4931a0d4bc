"""Neurons while a program is elaborated: a reference resolved to a definition, an
inline model or ``none`` (:meth:`resolve_neuron`), and a definition bound to its
model's signature and checked against the time step (:meth:`neuron_spec`)."""

from __future__ import annotations

from . import ast
from . import messages as M
from .errors import SnarcNameError, SnarcTypeError, SnarcValueError
from .frames import Frame
from .ir import NeuronSpec
from .neuron_models import NEURON_MODELS
from .signatures import ArgDef, positive
from .values import UNKNOWN, NeuronValue, describe, suggest


class NeuronResolver:
    """The elaborator's neuron part (a mixin: it uses the elaborator's ``scope``,
    ``dt``, ``bind`` and ``error``)."""

    def neuron_spec(self, value: NeuronValue) -> NeuronSpec | None:
        if value.definition is None and value.inline is None:
            return None
        key = id(value.definition) if value.definition is not None else id(value.inline)
        if key in self._neuron_cache:
            return self._neuron_cache[key]
        if value.definition is not None:
            d = value.definition
            model_name, args, span, name = d.model, d.args, d.model_span or d.span, d.name
        else:
            d = value.inline
            model_name, args, span, name = d.name, d.args, d.span, None
        model = NEURON_MODELS.get(model_name)
        if model is None:
            raise self.problem(M.unknown_neuron_model(model_name, span))
        aliases = tuple(
            ArgDef(al.name, "float", None, check=positive, doc=al.doc) for al in model.aliases
        )
        bound = self.bind(model_name, model.signature + aliases, args, {}, span)
        for al in model.aliases:  # another library's name: converted to snarc's
            value = bound.pop(al.name)
            if value is None:
                continue
            if any(a.name == al.target for a in args):
                raise self.error(
                    SnarcTypeError,
                    f"{model_name}: give '{al.target}' or '{al.name}', not both",
                    span,
                )
            bound[al.target] = al.convert(value)
        arg_spans = {a.name or model.signature[i].name: a.value.span for i, a in enumerate(args)}
        for tc in model.time_constants:
            strict = model.strict_time_constants
            if bound[tc] < self.dt or (strict and bound[tc] <= self.dt):
                rel = "greater than" if strict else "at least"
                raise self.error(
                    SnarcValueError,
                    f"{model_name}: '{tc}' ({bound[tc]:g}) must be {rel} the time step dt ({self.dt:g})",
                    arg_spans.get(tc, span),
                    hint="time constants are in the same unit as dt (set with `input ... dt X`)",
                )
        for tc in model.optional_time_constants:
            if 0 < bound[tc] < self.dt:
                raise self.error(
                    SnarcValueError,
                    f"{model_name}: '{tc}' ({bound[tc]:g}) must be 0 (off) or at least dt ({self.dt:g})",
                    arg_spans.get(tc, span),
                )
        if "v_th" in bound and "v_reset" in bound and bound["v_th"] <= bound["v_reset"]:
            raise self.error(
                SnarcValueError,
                f"{model_name}: v_th ({bound['v_th']:g}) must be above v_reset ({bound['v_reset']:g})",
                arg_spans.get("v_th", span),
            )
        if bound.get("per_neuron") and bound.get("learn_threshold"):
            raise self.error(
                SnarcValueError,
                f"{model_name}: per_neuron and learn_threshold cannot be combined (per-neuron "
                "values are state, not learned)",
                arg_spans.get("learn_threshold", span),
            )
        spec = NeuronSpec(model_name, tuple(sorted(bound.items())), name=name, span=span)
        self._neuron_cache[key] = spec
        return spec

    def resolve_neuron(self, ref: ast.NeuronRef, frame: Frame) -> NeuronValue:
        if ref.args is not None:
            return NeuronValue(None, inline=ref)
        if ref.name == "none":
            return NeuronValue(None)
        value = frame.env.get(ref.name)
        if isinstance(value, NeuronValue):
            return value
        if value is UNKNOWN:  # a library motif's parameter: any neuron may be passed
            return NeuronValue(None)
        if value is not None:
            raise self.error(
                SnarcTypeError,
                f"parameter '{ref.name}' is {describe(value)}, not a neuron",
                ref.span,
            )
        found = self._lookup_neuron(ref.name, frame)
        if found is not None:
            return NeuronValue(found)
        if ref.name in NEURON_MODELS:
            raise self.error(
                SnarcNameError,
                f"'{ref.name}' is a neuron model, not a neuron",
                ref.span,
                hint=f"write {ref.name}() for its defaults, or define `neuron x = {ref.name}(...)`",
            )
        options = list(frame.neurons) + list(self.scope.neurons())
        raise self.error(
            SnarcNameError,
            f"unknown neuron '{ref.name}'",
            ref.span,
            expected="a neuron defined with `neuron NAME = MODEL(...)`, or none"
            + (f": {', '.join(sorted(set(options)))}" if options else ""),
            hint=suggest(ref.name, options + ["none"]),
        )

    def _lookup_neuron(self, name: str, frame: Frame | None):
        if frame is not None and name in frame.neurons:
            return frame.neurons[name]
        return self.scope.neurons().get(name)
