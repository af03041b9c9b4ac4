"""The teaching notebooks: generated from notebooks/build.py, committed without outputs, and run end to end.

The execution tests run each notebook in a fresh ``python3`` kernel (ipykernel, from the
``dev`` extra) of the interpreter running pytest, fail on any cell error, and read back
numbers the notebooks print: the exercise's ŷ = 2, the hand-written gradients equal to
glassnet's and to the worked solution for the label in use, the hand-written training loop equal
to the Trainer, the NumPy regression loop on the airfoil data, the two engines equal.
"""

from __future__ import annotations

import importlib.util
import math
import re
import sys
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.notebooknode import NotebookNode

from conftest import require_torch, shared_airfoil
from glassnet.data import DATA_ENV_VAR

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
BACKPROP = "01_backprop_numpy.ipynb"
AIRFOIL = "02_pytorch_airfoil.ipynb"
NAMES = (BACKPROP, AIRFOIL)
CELL_TIMEOUT_S = 240  # per cell; both notebooks together take well under a minute
EXECUTABLE_MARK = "kernel executable: "


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("glassnet_notebook_build", NOTEBOOK_DIR / "build.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {NOTEBOOK_DIR / 'build.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _execute(name: str, notebook: NotebookNode | None = None) -> NotebookNode:
    """Run every cell of the committed notebook (or of ``notebook``, a changed copy of it) in a new
    python3 kernel; a cell error raises."""
    if notebook is None:
        notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    # One extra cell, in memory only: which interpreter did the kernel run?
    notebook.cells.append(
        nbformat.v4.new_code_cell(f"import sys\nprint({EXECUTABLE_MARK!r} + sys.executable)")
    )
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        startup_timeout=120,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute()
    return notebook


def _stdout(notebook: NotebookNode) -> str:
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.get("name") == "stdout"
    )


def _markdown(notebook: NotebookNode) -> str:
    """Every Markdown output (``display(Markdown(...))``), one after another."""
    return "\n".join(
        output["data"]["text/markdown"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "text/markdown" in output.get("data", {})
    )


def _number(text: str, pattern: str) -> float:
    """The float captured by ``pattern`` (one group), matched line by line."""
    match = re.search(pattern, text, flags=re.MULTILINE)
    assert match is not None, f"no line matching {pattern!r} in the notebook's output:\n{text}"
    return float(match.group(1))


def _count_outputs(notebook: NotebookNode, mime: str) -> int:
    return sum(
        mime in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def _check_kernel(text: str) -> None:
    match = re.search(rf"^{EXECUTABLE_MARK}(.+)$", text, flags=re.MULTILINE)
    assert match is not None, text
    assert Path(match.group(1)) == Path(sys.executable), (
        f"the kernel ran {match.group(1)}, not {sys.executable}"
    )


# -- committed files ------------------------------------------------------------------


def test_build_script_covers_every_notebook() -> None:
    committed = sorted(path.name for path in NOTEBOOK_DIR.glob("*.ipynb"))
    assert committed == sorted(_build_script().NOTEBOOKS) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_has_no_outputs(name: str) -> None:
    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nbformat.validate(notebook)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells, f"{name} has no code cells"
    for index, cell in enumerate(code_cells):
        assert cell.outputs == [], (
            f"{name}: code cell {index} carries outputs; strip them (python notebooks/build.py)"
        )
        assert cell.execution_count is None, f"{name}: code cell {index} has an execution count"
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert set(notebook.metadata) <= {"kernelspec", "language_info"}, (
        f"{name}: extra metadata {notebook.metadata}"
    )


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_is_what_the_build_script_writes(name: str) -> None:
    committed = (NOTEBOOK_DIR / name).read_text(encoding="utf-8")
    assert committed == _build_script().render(name), f"{name} is stale: run python notebooks/build.py"


def test_build_check_flags_a_changed_notebook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build = _build_script()
    assert build.main(["--check"]) == 0
    for name in NAMES:
        (tmp_path / name).write_text(build.render(name), encoding="utf-8")
    monkeypatch.setattr(build, "HERE", tmp_path)
    assert build.main(["--check"]) == 0
    (tmp_path / BACKPROP).write_text(build.render(BACKPROP).replace("ŷ", "y"), encoding="utf-8")
    assert build.main(["--check"]) == 1
    assert build.main([]) == 0  # rewrites the stale copy
    assert build.main(["--check"]) == 0


# -- execution ------------------------------------------------------------------------


@pytest.mark.slow
def test_backprop_notebook_runs_and_agrees_with_glassnet() -> None:
    notebook = _execute(BACKPROP)
    text = _stdout(notebook)
    _check_kernel(text)
    assert re.search(r"^ŷ = 2\.0$", text, flags=re.MULTILINE), text  # the exercise's output
    assert re.search(r"^s     = 1 - 2y = 3, sŷ = 6$", text, flags=re.MULTILINE), text
    assert _number(text, r"^L     = (\S+)$") == pytest.approx(6.002476, abs=1e-6)  # log(1 + e⁶)
    assert _number(text, r"^dL/dw12h = (\S+)$") == pytest.approx(2.992582, abs=1e-6)  # 3σ(6)
    assert _number(text, r"^max \|hand - glassnet\| = (\S+)$") <= 1e-12
    assert re.search(r"^compared with explain_exercise\(\), the sheet's y = -1$", text, flags=re.MULTILINE)
    assert _number(text, r"^max \|hand - explain\| = (\S+)$") <= 1e-12
    assert _number(text, r"^explain: dL/dw12h = (\S+)$") == pytest.approx(2.992582, abs=1e-6)
    assert re.search(r"^all ok \(central differences", text, flags=re.MULTILINE), text
    assert _number(text, r"^w12h: 0\.4 -> (\S+)$") == pytest.approx(0.100742, abs=1e-6)
    # the sheet's step (w12h alone), then the full step (every parameter), as the text quotes them
    assert _number(text, r"^sheet's step \(w12h only\): ŷ 2\.000000 -> (\S+)$") == pytest.approx(
        1.700742, abs=1e-6
    )
    assert _number(text, r"^sheet's step \(w12h only\): L 6\.002476 -> (\S+)$") == pytest.approx(
        5.108290, abs=1e-6
    )
    assert _number(text, r"^full step \(all 13\): ŷ 2\.000000 -> (\S+)$") == pytest.approx(
        -3.475093, abs=1e-6
    )
    assert _number(text, r"^full step \(all 13\): L 6\.002476 -> (\S+)$") == pytest.approx(0.000030, abs=1e-6)
    assert _number(text, r"^parameters moved \(non-zero gradient\): (\d+) of 13$") == 9  # unit 3's four stay
    assert _number(text, r"^max \|hand loop - Trainer\| over all weights = (\S+)$") <= 1e-9
    assert _number(text, r"^test accuracy  (\S+)$") >= 0.9
    assert _number(text, r"^test: \{'accuracy': (\S+)\}$") >= 0.9
    assert _count_outputs(notebook, "text/markdown") >= 1  # the explanation, shown as Markdown
    # embedded under the notebook's "### The same, worked by glassnet": no heading above ####
    explanation = _markdown(notebook)
    assert "#### The exercise (Figure 1)" in explanation and "##### 1. Forward pass" in explanation
    assert not re.search(r"^#{1,3} ", explanation, flags=re.MULTILINE), explanation
    assert _count_outputs(notebook, "image/png") >= 4  # data, loss curve, boundary, two runs


@pytest.mark.slow
@pytest.mark.parametrize(
    ("x", "label", "reference", "gradient"),
    [
        (None, "0.0", r"explain_exercise\(\)\.alternative, y = 0", 0.880797),  # σ(2)
        (
            None,
            "1.0",
            r"explain\(model, x, 1\): the sheet works no step for x = \[1\.0, 2\.0\], y = 1",
            -0.119203,
        ),
        # the other Try-this, x = (-2, 1): ŷ = 3.5, so dL/dw12h = s σ(s ŷ) · 0.5 · x₂ with s = 1 - 2y
        (
            "[-2.0, 1.0]",
            "1.0",
            r"explain\(model, x, 1\): the sheet works no step for x = \[-2\.0, 1\.0\], y = 1",
            -0.014656,
        ),
        (
            "[-2.0, 1.0]",
            None,
            r"explain\(model, x, -1\): the sheet works no step for x = \[-2\.0, 1\.0\], y = -1",
            1.499959,
        ),
    ],
    ids=["y0", "y1", "x-y1", "x-sheet-y"],
)
def test_backprop_notebook_try_this_compares_with_the_explanation_of_the_step_taken(
    x: str | None, label: str | None, reference: str, gradient: float
) -> None:
    """The Try-this boxes on y and x: with y = 0 the comparison took the consistent reading's
    gradients but printed the sheet's dL/dw12h (y = -1); with y = 1 there was no reference at all;
    with another x it explained the sheet's x, a step the student did not take (0.238 off, and
    dL/dw12h -0.119203 beside the student's -0.014656). Sections 1 to 3 only, the changes made."""
    notebook = nbformat.read(NOTEBOOK_DIR / BACKPROP, as_version=4)
    end = next(i for i, cell in enumerate(notebook.cells) if cell.source.startswith("## 4. Gradient check"))
    notebook.cells = notebook.cells[:end]
    # the code cells: the Try-this's own text names them
    for old, new in (
        ("x = np.array(exercise.INPUT)", x and f"x = np.array({x})"),
        ("y = exercise.SHEET_LABEL", label and f"y = {label}"),
    ):
        if new is not None:
            (cell,) = (c for c in notebook.cells if c.cell_type == "code" and old in c.source)
            cell.source = cell.source.replace(old, new)
    text = _stdout(_execute(BACKPROP, notebook))
    assert re.search(rf"^compared with {reference}$", text, flags=re.MULTILINE), text
    assert _number(text, r"^max \|hand - explain\| = (\S+)$") <= 1e-12
    assert _number(text, r"^explain: dL/dw12h = (\S+)$") == pytest.approx(gradient, abs=1e-6)
    assert _number(text, r"^dL/dw12h = (\S+)$") == pytest.approx(gradient, abs=1e-6)  # the hand value


@pytest.mark.slow
def test_airfoil_notebook_runs_and_engines_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    require_torch()  # the notebook trains with PyTorch; in CI a missing torch fails, never skips
    # the kernel finds the data as a user's does (README: GLASSNET_DATA), not beside a checkout,
    # which an installed glassnet has not
    monkeypatch.setenv(DATA_ENV_VAR, str(shared_airfoil()))
    notebook = _execute(AIRFOIL)
    text = _stdout(notebook)
    _check_kernel(text)
    assert re.search(r"^1503 rows from airfoil_self_noise", text, flags=re.MULTILINE), text
    assert re.search(r"^train 1081, validation 121, test 301 rows$", text, flags=re.MULTILINE), text
    # the hand-written NumPy loop: it lowers the training loss, and its test error is a real fit
    match = re.search(r"^NumPy loop: training MSE (\S+) -> (\S+) \(standardised\)$", text, flags=re.MULTILINE)
    assert match is not None, text
    before, after = float(match.group(1)), float(match.group(2))
    assert after < 0.5 * before, (before, after)
    numpy_rmse = _number(text, r"^NumPy loop: test RMSE (\S+) dB$")
    assert math.isfinite(numpy_rmse) and numpy_rmse < 4.0  # σ_y is about 7 dB; 60 epochs of SGD: about 2
    assert _number(text, r"^test: RMSE (\S+) dB") < 4.0  # 60 short epochs: about 2 dB
    assert _number(text, r"R² (\S+)$") > 0.8
    assert _number(text, r"^max \|torch - numpy\| over all weights: +(\S+)$") <= 1e-9
    assert _number(text, r"^max \|torch - numpy\| over test predictions: (\S+) dB$") <= 1e-8
    assert _count_outputs(notebook, "text/markdown") >= 2  # the data table and the comparison table
    # the text quotes the frequency range of the data table: 200 Hz to 2e+04 (two orders of magnitude)
    assert re.search(
        r"^\| frequency \| Hz \| 200 \| \S+ \| 2e\+04 \|", _markdown(notebook), flags=re.MULTILINE
    )
    assert _count_outputs(notebook, "image/png") >= 5
