"""glassnet.explain: the exercise's numbers, random networks against three oracles, the API."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest

from glassnet.exercise import exercise_network
from glassnet.explain import explain, explain_exercise
from glassnet.losses import HalfSquaredError, LogisticLoss, MSELoss
from glassnet.nn import ACTIVATIONS, MLP, Linear, ReLU, Sequential, Tanh, stable_sigmoid


def sigmoid(z: float) -> float:
    return float(stable_sigmoid(np.array(z)))


# -- the exercise --------------------------------------------------------------------


@pytest.fixture(scope="module")
def exercise():  # type: ignore[no-untyped-def]
    return explain_exercise(check_torch=False)


def test_exercise_as_written(exercise) -> None:  # type: ignore[no-untyped-def]
    d = exercise.derivation
    np.testing.assert_array_equal(d.layers[0].z, [2.0, 2.0, -1.0])
    np.testing.assert_array_equal(d.layers[0].output, [2.0, 2.0, 0.0])
    assert d.loss.prediction[0] == 2.0
    assert d.loss.literal and d.loss.outside
    assert d.loss.value == pytest.approx(math.log1p(math.exp(6.0)), abs=1e-12)
    assert d.loss.value == pytest.approx(6.002476, abs=1e-6)
    assert d.loss.grad[0] == pytest.approx(3 * sigmoid(6.0), abs=1e-12)
    assert d.loss.grad[0] == pytest.approx(2.992582, abs=1e-6)
    w12 = exercise.param("w12h")
    assert w12.ref.dotted == "0.weight[0,1]"
    for value in (w12.chain, w12.delta_form, w12.engine, w12.numeric):
        assert value == pytest.approx(3 * sigmoid(6.0), abs=1e-9)
    assert w12.updated == pytest.approx(0.4 - 0.1 * 3 * sigmoid(6.0), abs=1e-12)
    assert w12.updated == pytest.approx(0.100742, abs=1e-6)
    factors = [f.value for f in w12.paths[0].factors]  # ∂L/∂ŷ, ∂ŷ/∂h₁, ∂h₁/∂z₁, ∂z₁/∂w₁₂ʰ
    assert factors == pytest.approx([3 * sigmoid(6.0), 0.5, 1.0, 2.0], abs=1e-12)


def test_exercise_consistent_reading(exercise) -> None:  # type: ignore[no-untyped-def]
    alt = exercise.alternative.derivation
    assert alt.loss.target[0] == 0.0 and not alt.loss.outside
    assert alt.loss.value == pytest.approx(math.log1p(math.exp(2.0)), abs=1e-12)
    assert alt.loss.value == pytest.approx(2.126928, abs=1e-6)
    w12 = alt.params[0]
    assert w12.engine == pytest.approx(sigmoid(2.0), abs=1e-12)
    assert w12.engine == pytest.approx(0.880797, abs=1e-6)
    assert w12.numeric == pytest.approx(sigmoid(2.0), abs=1e-9)
    assert w12.updated == pytest.approx(0.4 - 0.1 * sigmoid(2.0), abs=1e-12)
    assert w12.updated == pytest.approx(0.311920, abs=1e-6)
    # the ±1 convention with label −1 gives the same loss
    assert LogisticLoss("pm1")(np.array([[2.0]]), np.array([[-1.0]])) == pytest.approx(
        alt.loss.value, abs=1e-15
    )


def test_exercise_text_says_so(exercise) -> None:  # type: ignore[no-untyped-def]
    text = exercise.to_text()
    assert "y = -1 lies outside {0, 1}" in text
    assert "consistent reading" in text
    assert "6.00248" in text and "2.99258" in text and "0.100742" in text and "0.880797" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_exercise_json_numbers(exercise) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(exercise.to_json())
    main, alt = data["derivation"], data["alternative"]["derivation"]
    assert main["loss"]["value"] == pytest.approx(math.log1p(math.exp(6.0)), abs=1e-9)
    assert main["params"][0]["backward"] == pytest.approx(3 * sigmoid(6.0), abs=1e-9)
    assert main["params"][0]["updated"] == pytest.approx(0.4 - 0.3 * sigmoid(6.0), abs=1e-9)
    assert alt["loss"]["value"] == pytest.approx(math.log1p(math.exp(2.0)), abs=1e-9)
    assert alt["params"][0]["backward"] == pytest.approx(sigmoid(2.0), abs=1e-9)
    assert alt["params"][0]["updated"] == pytest.approx(0.4 - 0.1 * sigmoid(2.0), abs=1e-9)
    assert main["params"][0]["name"] == "w12h" and main["params"][0]["glassnet"] == "0.weight[0,1]"


def test_exercise_steps_and_table() -> None:
    e = explain_exercise(params=["w12h", "b1o"], all_params=True, steps=3, check_torch=False)
    d = e.derivation
    assert d.table is not None and len(d.table) == 13
    assert [s.step for s in d.steps] == [1, 2, 3]
    assert d.steps[0].loss == pytest.approx(d.loss.value)
    _, before, _, after = d.steps[0].params[0]
    assert (before, after) == (pytest.approx(0.4), pytest.approx(e.param("w12h").updated))
    assert d.steps[1].params[0][1] == pytest.approx(after)  # step 2 starts from step 1's update
    # three steps of plain gradient descent by hand, with the engine
    model = exercise_network()
    loss = LogisticLoss("01", strict_labels=False)
    for step in d.steps:
        value = loss(model(np.array([[1.0, 2.0]])), np.array([[-1.0]]))
        assert value == pytest.approx(step.loss, abs=1e-12)
        model.zero_grad()
        model.backward(loss.backward())
        for p in model.parameters():
            p.data -= 0.1 * p.grad


# -- random networks: every activation, every loss, depth 1–3 ----------------------------

LOSS_CASES = ["logistic01", "logisticpm1", "mse", "half_sse", "bce"]


def _case(activation: str, loss_case: str, depth: int, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    sizes = [int(rng.integers(1, 4)) for _ in range(depth)] + [int(rng.integers(1, 3))]
    output = "sigmoid" if loss_case == "bce" else None
    model = MLP(sizes, activation=activation, output_activation=output, rng=rng)
    if depth == 1 and loss_case != "bce":
        model.append(ACTIVATIONS[activation]())  # a one-layer net still gets the activation
    x = rng.normal(size=sizes[0])
    k = sizes[-1]
    if loss_case == "logistic01":
        return model, x, rng.integers(0, 2, size=k).astype(float), LogisticLoss("01")
    if loss_case == "logisticpm1":
        return model, x, rng.choice([-1.0, 1.0], size=k), LogisticLoss("pm1")
    if loss_case == "mse":
        return model, x, rng.normal(size=k), MSELoss()
    if loss_case == "half_sse":
        return model, x, rng.normal(size=k), HalfSquaredError()
    return model, x, rng.uniform(0.05, 0.95, size=k), "bce"


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss_case", LOSS_CASES)
def test_random_networks_every_gradient(activation: str, loss_case: str, torch) -> None:  # type: ignore[no-untyped-def]
    seed = sorted(ACTIVATIONS).index(activation) * 10 + LOSS_CASES.index(loss_case)
    rng = np.random.default_rng(seed)
    for depth in (1, 2, 3):
        model, x, y, loss = _case(activation, loss_case, depth, rng)
        before = copy.deepcopy(model.state_dict())
        names = [name for name, _ in model.named_parameters()]
        e = explain(model, x, y, loss=loss, params=names, learning_rate=0.3, deltas=True)
        assert len(e.derivation.params) == model.num_parameters()
        for record in e.derivation.params:
            scale = max(1.0, abs(record.engine))
            if record.chain is not None:
                assert record.chain == pytest.approx(record.engine, abs=1e-12 * scale)
            assert record.delta_form == pytest.approx(record.engine, abs=1e-12 * scale)
            assert record.numeric == pytest.approx(record.engine, abs=1e-6 * scale)
            assert record.torch is not None
            assert record.torch == pytest.approx(record.engine, abs=1e-10 * scale)
            assert record.updated == pytest.approx(record.value - 0.3 * record.engine, abs=1e-15)
        for name, values in model.state_dict().items():  # the model is never changed
            np.testing.assert_array_equal(values, before[name])
        e.to_text(), e.to_markdown(), e.to_latex(), e.to_json()  # every format renders


def test_engine_gradient_matches_a_direct_backward() -> None:
    rng = np.random.default_rng(7)
    model = MLP([3, 4, 2], activation="tanh", rng=rng)
    x, y = rng.normal(size=3), rng.normal(size=2)
    e = explain(model, x, y, loss="half_sse", params="0.weight")
    model.zero_grad()
    loss = HalfSquaredError()
    loss(model(x[None, :]), y[None, :])
    model.backward(loss.backward())
    grads = np.array([r.engine for r in e.derivation.params]).reshape(4, 3)
    np.testing.assert_array_equal(grads, model[0].weight.grad)


def test_path_sum_written_out_for_two_paths() -> None:
    rng = np.random.default_rng(3)
    model = Sequential(Linear(2, 2, rng=rng), Tanh(), Linear(2, 2, rng=rng))
    e = explain(model, [0.3, -0.7], [0.1, 0.4], loss="mse", params="w11^1", check_torch=False)
    record = e.param("w11h")
    assert record.path_count == 2 and record.paths is not None
    assert record.chain == pytest.approx(sum(p.product for p in record.paths))
    assert "paths; their products add up" in e.to_text()


def test_float32_model_is_explained_in_float64_and_unchanged() -> None:
    model = exercise_network(np.float32)
    e = explain(model, [1, 2], 0, params="w12h", check_torch=False)
    assert e.param().engine == pytest.approx(sigmoid(2.0), abs=1e-9)
    assert model.dtype == np.float32


def test_repr_markdown_and_save(tmp_path) -> None:  # type: ignore[no-untyped-def]
    e = explain(exercise_network(), [1, 2], 0, params="w12h", check_torch=False)
    assert e._repr_markdown_() == e.to_markdown()
    assert "$$" in e.to_markdown() and r"\begin{aligned}" in e.to_markdown()
    e.save(tmp_path / "e.md")
    e.save(tmp_path / "e.json")
    assert (tmp_path / "e.md").read_text(encoding="utf-8") == e.to_markdown()
    assert json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))["format"] == "glassnet-explain"
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_figure(tmp_path, suffix: str, magic: bytes) -> None:  # type: ignore[no-untyped-def]
    e = explain_exercise(check_torch=False)
    path = e.save_figure(tmp_path / f"net{suffix}")
    assert path.read_bytes().startswith(magic)


def test_figure_bad_suffix(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=r"must end in \.png or \.svg"):
        explain_exercise(check_torch=False).save_figure(tmp_path / "net.pdf")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"params": "w41h"}, ValueError, r"no parameter 'w41h'.*rows 1\.\.3 and columns 1\.\.2"),
        ({"params": "w12^3"}, ValueError, r"no layer 3; the layers are numbered 1\.\.2"),
        ({"params": "v12h"}, ValueError, "unknown parameter name 'v12h'"),
        ({"params": "5.weight[0,0]"}, ValueError, r"Linear layers are named '0', '2'"),
        ({"params": "w123h"}, ValueError, "a weight needs two indices"),
        ({"params": []}, ValueError, "at least one parameter"),
        ({"x": [1, 2, 3]}, ValueError, r"x must have 2 values"),
        ({"y": [0, 1]}, ValueError, r"y must have 1 value"),
        ({"y": -1}, ValueError, r"label y = -1 is outside \{0, 1\}.*literal_labels"),
        ({"y": 0, "labels": "pm1"}, ValueError, r"outside \{-1, \+1\}"),
        ({"loss": "hinge"}, ValueError, "unknown loss 'hinge'"),
        ({"digits": 0}, ValueError, "digits must be a positive integer"),
        ({"digits": 30}, ValueError, "digits must be between 1 and 17"),
        ({"steps": 1.5}, TypeError, "steps must be a positive integer"),
        ({"learning_rate": -1}, ValueError, "learning_rate must be >= 0"),
        ({"notation": "ho", "model": MLP([2, 1])}, ValueError, "needs exactly 2 layers"),
        ({"notation": "greek"}, ValueError, "notation must be 'auto', 'ho' or 'numbered'"),
        ({"model": Sequential(ReLU(), Linear(2, 1))}, TypeError, "starting with a Linear"),
        ({"model": "net"}, TypeError, "needs a glassnet Module"),
    ],
)
def test_bad_arguments(kwargs, error, match) -> None:  # type: ignore[no-untyped-def]
    arguments = {"model": exercise_network(), "x": [1, 2], "y": 0, "check_torch": False, **kwargs}
    model, x, y = arguments.pop("model"), arguments.pop("x"), arguments.pop("y")
    with pytest.raises(error, match=match):
        explain(model, x, y, **arguments)


def test_literal_labels_flag() -> None:
    e = explain(exercise_network(), [1, 2], -1, literal_labels=True, params="w12h", check_torch=False)
    assert e.param().engine == pytest.approx(3 * sigmoid(6.0), abs=1e-12)
    assert "outside {0, 1}" in e.to_text()
