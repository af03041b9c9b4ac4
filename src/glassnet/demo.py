"""The guided tour behind ``glassnet demo``; returns text, prints nothing itself.

The tour is a sequence of sections, each a function returning text; the first is the
exercise's worked solution (:func:`glassnet.explain.explain_exercise`). ``demo_sections()``
yields them one by one, as each is computed (the command prints each as it comes);
``run_demo()`` joins them.

Ctrl-C (SIGTERM, SIGHUP) while the airfoil run's files are written is held back until they are all written
(as ``glassnet train`` does), then raised as :class:`InterruptedAfterWriting`, a
``KeyboardInterrupt`` that carries the section's text and the folder holding the files.
"""

from __future__ import annotations

import os
import re
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from glassnet._checks import count_text, seconds_text
from glassnet.explain import explain_exercise

__all__ = [
    "InterruptedAfterWriting",
    "airfoil_section",
    "demo_sections",
    "explanation_section",
    "moons_section",
    "run_demo",
]


class InterruptedAfterWriting(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM, SIGHUP) came while the airfoil run's files were written; they were
    finished first, whole.

    ``section``: the airfoil section's text (its metrics, where the files are); ``folder``:
    the folder holding the run's files; ``files``: their names; ``signum``: the signal.
    """

    def __init__(self, section: str, folder: Path, files: list[str], signum: int = signal.SIGINT) -> None:
        from glassnet._signals import interrupted_text

        super().__init__(
            f"{interrupted_text(signum)} while the airfoil run's files were written; {folder} holds them all"
        )
        self.section = section
        self.folder = folder
        self.files = files
        self.signum = signum


def explanation_section() -> str:
    """The exercise's step worked out: forward pass, loss, chain rule for w₁₂ʰ, update, checks."""
    return explain_exercise().to_text()


def moons_section(epochs: int = 200) -> str:
    """The exercise's 2→3→1 network trained on two moons, in glassnet's engine and in PyTorch, side by side."""
    from glassnet.train import MOONS_CONFIG, train_moons

    config = MOONS_CONFIG.replace(epochs=epochs)
    numpy_run = train_moons(config, handle_sigint=False)
    lines = [
        "Training the exercise's network (2→3→1, ReLU, logistic loss, Adam η = "
        f"{config.lr:g}, batches of {config.batch_size}) on 400 noisy two-moons points, 300 for training:"
    ]
    try:
        torch_run = train_moons(config.replace(engine="torch", threads=1), handle_sigint=False)
    except ImportError as error:
        torch_run = None
        lines.append(f"  (PyTorch side skipped: {error})")
    shown = sorted({1, 2, 5, 10, 50, 100, epochs} & set(range(1, epochs + 1)))
    header = "  epoch   glassnet loss" + ("   torch loss      |difference|" if torch_run else "")
    lines.append(header)
    for epoch in shown:
        ours = numpy_run.result.history[epoch - 1]["train_loss"]
        row = f"  {epoch:5d}   {ours:.12f}"
        if torch_run is not None:
            theirs = torch_run.result.history[epoch - 1]["train_loss"]
            row += f"  {theirs:.12f}  {abs(ours - theirs):.1e}"
        lines.append(row)
    accuracy = numpy_run.metrics["test"]["accuracy"]
    lines.append(
        f"  test accuracy: glassnet {accuracy:.3f}"
        + (f", torch {torch_run.metrics['test']['accuracy']:.3f}" if torch_run is not None else "")
    )
    if torch_run is not None:
        ours_w, theirs_w = numpy_run.result.weights[0], torch_run.result.weights[0]
        gap = max(float(np.abs(ours_w[name] - theirs_w[name]).max()) for name in ours_w)
        steps = epochs * -(-len(numpy_run.split.train) // config.batch_size)
        lines.append(f"  after {steps} Adam steps the two engines' weights differ by at most {gap:.1e}")
    return "\n".join(lines)


def airfoil_section(out: str | os.PathLike[str] | None = None, epochs: int = 60) -> str:
    """A short airfoil training (64 → 64 hidden units) with its metrics and plots, when the data file is found.

    ``out``: the folder its run is written into (default: a fresh temporary one); one that
    holds another run's files is refused before the training (FileExistsError), as
    :func:`glassnet.train.artifacts.write_run` refuses it."""
    from glassnet._signals import interrupts_held
    from glassnet.data import DATA_ENV_VAR, load_airfoil
    from glassnet.train import TrainConfig, train_airfoil
    from glassnet.train.artifacts import write_run

    if out is not None:  # before the training, which the refusal would otherwise follow
        _refuse_another_run(out)

    # the folder the airfoil part would have written: said to stay empty when the part is skipped
    unwritten = "" if out is None else f" Nothing was written to {out}."
    try:
        dataset = load_airfoil()
    except FileNotFoundError as error:
        if os.environ.get(DATA_ENV_VAR):  # set, to the wrong place: the error says which and how to fix it
            return f"Airfoil self-noise: skipped, the data file is not found: {_sentence(error)}{unwritten}"
        return (  # the loader's own advice names --data, which the demo does not take
            "Airfoil self-noise: skipped, the data file is not found; get it with "
            f"`glassnet data fetch airfoil`, or set {DATA_ENV_VAR} to a copy you have "
            f"(`glassnet data info` shows where glassnet looks).{unwritten}"
        )
    except (ValueError, OSError) as error:  # found, but not the data set, or not readable: the tour goes on
        return f"Airfoil self-noise: the data file cannot be used: {_sentence(error)}{unwritten}"
    config = TrainConfig(hidden=(64, 64), epochs=epochs, lr=5e-3, warmup_epochs=3, batch_size=64)
    try:
        run = train_airfoil(dataset, config, handle_sigint=False)
    except ValueError as error:  # a file too small to split, say
        # without the options train's messages name, which the demo does not take
        reason = re.sub(r" \(--[a-z-]+\)", "", str(error))
        return f"Airfoil self-noise: cannot train on {dataset.source}: {_sentence(ValueError(reason))}{unwritten}"
    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="glassnet-demo-airfoil-"))
    with interrupts_held() as interrupts:  # a model without its plots is no run: finish the files first
        written = write_run(run, folder)
    sizes, features = run.result.spec.sizes, dataset.X.shape[1]
    inputs = (
        f" (the {features} features and {sizes[0] - features} Fourier features)"
        if sizes[0] > features
        else ""
    )
    refit = bool(run.result.validation_members)  # trained twice: validate, then retrain on train + val
    lines = [
        f"Airfoil self-noise ({len(dataset)} rows from {dataset.source}): a short run of "
        f"{'→'.join(map(str, sizes))}{inputs}, {count_text(epochs, 'epoch')}{' per pass' if refit else ''}, "
        f"{seconds_text(run.result.seconds)}{' in all' if refit else ''} (the full recipe: `glassnet train airfoil`)."
    ]
    if refit:  # the val line then measures another model than the train and test lines
        lines.append(
            f"  Trained twice: first on the {count_text(len(run.split.train), 'training row')}, validated on "
            f"the {count_text(len(run.split.val), 'validation row')}; then the model kept, from the same "
            f"starting weights, on both ({count_text(len(run.split.train) + len(run.split.val), 'row')})."
        )
    rows_note = {
        "train": "the rows the kept model trained on" if refit else "training rows",
        "val": "the first model's score, on rows it did not train on" if refit else "validation rows",
        "test": "never trained on",
    }
    for part in ("train", "val", "test"):
        values = run.metrics[part]
        n = int(values["n"])
        lines.append(
            f"  {part:5s}  RMSE {values['rmse']:.2f} dB   MAE {values['mae']:.2f} dB   R² {values['r2']:.3f}"
            f"   ({count_text(n, 'row')}: {rows_note[part]})"
        )
    files = [path.name for path in written.values()]
    lines.append(f"  plots and metrics in {folder}: " + ", ".join(files))
    if interrupts:  # Ctrl-C came while they were written: passed on, now that they are whole
        signum = interrupts[0]
        interrupts.clear()  # reported by the exception, not delivered again
        raise InterruptedAfterWriting("\n".join(lines), folder, files, signum)
    return "\n".join(lines)


def _sentence(error: BaseException) -> str:
    """An error's message ending as a sentence, so that the next one does not run on from it."""
    text = str(error).rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _refuse_another_run(out: str | os.PathLike[str]) -> None:
    """FileExistsError when ``out`` holds files of a run's names, which the demo's run would replace."""
    from glassnet.train.artifacts import refuse_replacing

    refuse_replacing(Path(out), None, force=False, caller="the demo", remedy="choose another folder")


def demo_sections(out: str | os.PathLike[str] | None = None) -> Iterator[str]:
    """The tour's sections, each computed when asked for; ``out``: where the airfoil run writes
    its plots and metrics (default: a fresh temporary folder, named in the section); one that
    holds another run's files is refused before the first section (FileExistsError)."""
    if out is not None:
        _refuse_another_run(out)
    yield explanation_section().rstrip("\n")
    yield moons_section()
    yield airfoil_section(out)


def run_demo(out: str | os.PathLike[str] | None = None) -> str:
    return "\n\n".join(demo_sections(out)) + "\n"
