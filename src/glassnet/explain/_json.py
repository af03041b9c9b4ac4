"""JSON of every intermediate value, for other tools (plain floats at full precision)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from glassnet._checks import Array
from glassnet.explain._derivation import Derivation, ParamRecord
from glassnet.explain._document import Builder
from glassnet.explain._notation import ParamRef
from glassnet.explain._symbols import LatexStyle, Style

if TYPE_CHECKING:
    from glassnet.explain._api import Explanation

FORMAT_VERSION = 1


def _floats(values: Array) -> Any:
    return values.tolist()


def _ref(ref: ParamRef, d: Derivation) -> dict[str, Any]:
    return {
        "name": ref.short_name(d.notation),
        "symbol": ref.write(d.notation, Style()),
        "latex": ref.write(d.notation, LatexStyle()),
        "glassnet": ref.dotted,
        "layer": ref.layer,
        "kind": ref.kind,
        "row": ref.row + 1,
        "column": None if ref.col is None else ref.col + 1,
    }


def _param(record: ParamRecord, d: Derivation, builder: Builder) -> dict[str, Any]:
    paths = None
    if record.paths is not None:
        paths = [
            {
                "units": [u + 1 for u in path.units],
                "factors": [
                    {"kind": f.kind, "symbol": builder.factor_label(f, record), "value": f.value}
                    for f in path.factors
                ],
                "product": path.product,
            }
            for path in record.paths
        ]
    differences: dict[str, float | None] = {
        "chain_rule": None if record.chain is None else abs(record.chain - record.engine),
        "delta_form": abs(record.delta_form - record.engine),
        "finite_difference": None if record.numeric is None else abs(record.numeric - record.engine),
        "torch": None if record.torch is None else abs(record.torch - record.engine),
    }
    return {
        **_ref(record.ref, d),
        "value": record.value,
        "path_count": record.path_count,
        "paths": paths,
        "chain_rule": record.chain,
        "delta_form": {"delta": record.delta, "input": record.delta_input, "gradient": record.delta_form},
        "backward": record.engine,
        "finite_difference": record.numeric,
        "torch": record.torch,
        "differences_to_backward": differences,
        "updated": record.updated,
    }


def derivation_dict(d: Derivation) -> dict[str, Any]:
    """Every number of the derivation as plain JSON types."""
    n, text = d.notation, Style()
    builder = Builder(d, text)
    layers = []
    for layer, (grad_w, grad_b) in zip(d.layers, d.gradients, strict=True):
        ell = layer.index
        options: dict[str, float] = {}
        slope = (
            getattr(layer.activation, "negative_slope", None)
            if layer.activation_name == "leaky_relu"
            else None
        )
        if slope is not None:  # LeakyReLU's α: without it the numbers cannot be reproduced
            options["negative_slope"] = float(slope)
        layers.append(
            {
                "index": ell,
                "name": n.tag(ell),
                "glassnet": layer.prefix,
                "activation": layer.activation_name,
                **options,
                "symbols": {
                    "input": text.sym(n.post(ell - 1)),
                    "pre": text.sym(n.pre(ell)),
                    "output": text.sym(n.post(ell)),
                },
                "weight": _floats(layer.weight),
                "bias": _floats(layer.bias),
                "input": _floats(layer.inputs),
                "product": _floats(layer.product),
                "z": _floats(layer.z),
                "output": _floats(layer.output),
                "derivative": _floats(layer.derivative),
                "weight_gradient": _floats(grad_w),
                "bias_gradient": _floats(grad_b),
            }
        )
    loss = d.loss
    result: dict[str, Any] = {
        "notation": n.style,
        "sizes": list(n.sizes),
        "x": _floats(d.x),
        "y": _floats(d.y),
        "layers": layers,
        "loss": {
            "name": loss.name,
            "labels": loss.labels,
            "reduction": loss.reduction,
            "literal_labels": loss.literal,
            "labels_outside_convention": loss.outside,
            "prediction": _floats(loss.prediction),
            "target": _floats(loss.target),
            "elementwise": None if loss.elementwise is None else _floats(loss.elementwise),
            "own_reduction": loss.own_reduction,
            "value": loss.value,
            "gradient": _floats(loss.grad),
        },
        "deltas": [
            {"layer": i + 1, "name": n.tag(i + 1), "values": _floats(v)} for i, v in enumerate(d.deltas)
        ],
        "learning_rate": d.learning_rate,
        "params": [_param(record, d, builder) for record in d.params],
        "all_params": None
        if d.table is None
        else [
            {
                **_ref(row.ref, d),
                "value": row.value,
                "backward": row.engine,
                "delta_form": row.delta_form,
                "finite_difference": row.numeric,
                "torch": row.torch,
                "updated": row.updated,
            }
            for row in d.table
        ],
        "steps": [
            {
                "step": step.step,
                "prediction": _floats(step.prediction),
                "loss": step.loss,
                "params": [
                    {
                        "name": ref.short_name(n),
                        "glassnet": ref.dotted,
                        "value": v,
                        "gradient": g,
                        "updated": u,
                    }
                    for ref, v, g, u in step.params
                ],
            }
            for step in d.steps
        ],
        # computed on a float64 copy of the model, whose own dtype this is
        "model_dtype": d.model_dtype,
        "checks": {"finite_difference_eps": d.fd_eps, "torch": d.torch_available},
    }
    if d.after_steps is not None:  # ŷ and L once the last step's update is made
        result["after_steps"] = {
            "steps": d.after_steps.steps,
            "prediction": _floats(d.after_steps.prediction),
            "loss": d.after_steps.loss,
        }
    if d.clip_bounds is not None and d.clipped_outputs:  # BCE's clipped ŷ (the loss's own numbers)
        result["checks"]["clip"] = {
            "bounds": list(d.clip_bounds),
            "outputs": [k + 1 for k in d.clipped_outputs],  # 1-based, as the text names ŷₖ
        }
    if d.kinks:  # units at a ReLU-type kink, where finite differences may disagree
        result["checks"]["kinks"] = [
            {
                "layer": kink.layer,
                "unit": kink.unit + 1,
                "z": kink.z,
                "activation": kink.activation,
                "derivative": kink.derivative,
            }
            for kink in d.kinks
        ]
    if d.other_params:  # an activation's own parameters, which the derivation does not work out
        result["other_params"] = list(d.other_params)
    mismatches = builder.unexplained_mismatches()
    if mismatches:  # finite differences off the backward pass that no kink (nor BCE's clip) explains
        result["checks"]["unexplained_mismatches"] = [
            {**_ref(ref, d), "torch_agrees": builder.confirmed_by_torch(ref) if d.torch_available else None}
            for ref in mismatches
        ]
    if d.fd_note is not None:
        result["checks"]["finite_difference_skipped"] = d.fd_note
    if not d.torch_available:
        result["checks"]["torch_skipped"] = d.torch_note
    return result


def explanation_dict(explanation: Explanation) -> dict[str, Any]:
    alternative = None
    if explanation.alternative is not None:
        alt = explanation.alternative
        alternative = {
            "title": alt.title.text,
            "notes": [note.text.replace("$", "") for note in alt.notes],
            "derivation": derivation_dict(alt.derivation),
        }
    return {
        "format": "glassnet-explain",
        "version": FORMAT_VERSION,
        "title": explanation.title,
        "digits": explanation.digits,
        "notes": [note.text.replace("$", "") for note in explanation.notes],
        "derivation": derivation_dict(explanation.derivation),
        "alternative": alternative,
    }
