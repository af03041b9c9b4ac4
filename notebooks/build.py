"""Write the teaching notebooks from the cells below: ``python notebooks/build.py [--check]``.

The notebooks are kept as source here, so a change is a readable diff; the ``.ipynb``
files are generated from it, without outputs or execution counts (Jupyter fills those in
when you run them). ``--check`` writes nothing and exits with status 1 when a committed
notebook differs from what this script would write (``tests/test_notebooks.py`` runs it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

Cell = tuple[str, str]  # ("md" | "code", source)


def md(text: str) -> Cell:
    return ("md", dedent(text).strip())


def code(text: str) -> Cell:
    return ("code", dedent(text).strip())


# --------------------------------------------------------------------------------------
# 01: backpropagation by hand, in NumPy
# --------------------------------------------------------------------------------------

BACKPROP: list[Cell] = [
    md(
        r"""
        # Part 1: backpropagation by hand, in NumPy

        This notebook works through the exercise's network, a 2 → 3 → 1 ReLU network, with
        nothing but NumPy:

        1. the **forward pass**, one step at a time;
        2. the **logistic loss** and its derivative;
        3. the **backward pass** (the chain rule), layer by layer, next to glassnet's worked
           derivation;
        4. a **gradient check** with finite differences;
        5. the **update**: one step of gradient descent, as the sheet takes it and as training
           does;
        6. a **training loop** (mini-batches, SGD) on generated 2-D data, its loss curve and
           decision boundary;
        7. the same training with glassnet's `Trainer`: a configuration and one call.

        The exercise's four parts: (1) the forward pass is section 1; (2) the loss is section 2;
        (3) the gradient of $w^h_{12}$ by the chain rule and one step of gradient descent are
        sections 3 and 5 (section 4 checks the gradient); (4) the backward pass and training of a
        feedforward network are sections 3, 6 and 7 in NumPy, and the second notebook
        (`02_pytorch_airfoil.ipynb`) on the airfoil data: by hand in NumPy, then in PyTorch.

        Every number printed here comes from the code above it: change a value and run the
        cells again (*Run → Run All Cells*). The cells marked **Try this** suggest what to change.
        """
    ),
    code(
        """
        import time

        import matplotlib.pyplot as plt
        import numpy as np
        from IPython.display import Markdown, display

        from glassnet import exercise, gradcheck
        from glassnet.data import make_moons, train_val_test_split
        from glassnet.explain import explain, explain_exercise
        from glassnet.losses import LogisticLoss
        from glassnet.train import ORDER_STREAM, TrainConfig, Trainer, classification_metrics, decision_threshold

        np.set_printoptions(precision=6, suppress=True)
        """
    ),
    md(
        r"""
        ## 1. The network and the forward pass

        Two inputs, three hidden ReLU units, one output $\hat y$ (a *logit*: any real number,
        turned into a probability by $\sigma(\hat y) = 1 / (1 + e^{-\hat y})$):

        $$
        z = W^h x + b^h, \qquad h = \operatorname{ReLU}(z) = \max(z, 0), \qquad \hat y = W^o h + b^o .
        $$

        $W^h$ is $3 \times 2$: row $i$ holds the weights *into* hidden unit $i$, so $w^h_{12}$
        connects input $x_2$ to hidden unit $h_1$. The maths counts rows and columns from 1,
        NumPy from 0: $w^h_{12}$ is `W_h[0, 1]` in the code below. The exercise's weights and
        input are stored in `glassnet.exercise`.
        """
    ),
    code(
        """
        W_h = np.array(exercise.HIDDEN_WEIGHT)  # (3, 2)
        b_h = np.array(exercise.HIDDEN_BIAS)  # (3,)
        W_o = np.array(exercise.OUTPUT_WEIGHT)  # (1, 3)
        b_o = np.array(exercise.OUTPUT_BIAS)  # (1,)
        x = np.array(exercise.INPUT)  # (2,)

        print("W_h =", W_h, sep="\\n")
        print("b_h =", b_h)
        print("W_o =", W_o)
        print("b_o =", b_o)
        print("x   =", x)
        """
    ),
    md(
        r"""
        The forward pass, one line per step. Each line is a matrix-vector product or an
        element-wise function; the comments give the shapes.
        """
    ),
    code(
        """
        z = W_h @ x + b_h  # (3,) pre-activations of the hidden layer
        print("z = W_h x + b_h =", z)

        h = np.maximum(z, 0.0)  # (3,) ReLU switches off the negative ones
        print("h = ReLU(z)     =", h)

        y_hat = W_o @ h + b_o  # (1,) the output, a logit
        print("ŷ = W_o h + b_o =", y_hat)
        print(f"ŷ = {y_hat[0]}")
        """
    ),
    md(
        r"""
        The third hidden unit has $z_3 = -1 < 0$, so $h_3 = 0$: it contributes nothing to
        $\hat y$, and (as we will see) it gets no gradient either.

        glassnet's `MLP` holds the same weights (`exercise_network()`); its layers are
        `model[0]` (Linear 2 → 3), `model[1]` (ReLU) and `model[2]` (Linear 3 → 1). It works
        on *batches*: one row per example, so one input is an array of shape `(1, 2)`.
        """
    ),
    code(
        """
        model = exercise.exercise_network()
        print(model)
        print("glassnet ŷ =", model(x[None, :]))  # (1, 2) -> (1, 1)
        """
    ),
    md(
        r"""
        > **Try this.** Set `x = np.array([-2.0, 1.0])` in the first cell of this section and
        > run the cells again. Which hidden units are switched off now (two of them are), and
        > which rows of $\partial L / \partial W^h$ in section 3 become zero?
        >
        > `explain_exercise()` works the sheet's input $x = (1, 2)$ only, so section 3 then
        > compares your gradients with `explain(model, x, y)`, the worked solution of your own
        > step, and says so; it agrees, and so does glassnet's backward pass. (A `-0.` in the
        > printouts is a zero with a minus sign, a negative number times 0: it equals 0.)
        """
    ),
    md(
        r"""
        ## 2. The logistic loss

        For a label $y \in \{0, 1\}$ and a logit $\hat y$, the exercise uses

        $$
        L(\hat y, y) = \log\left(1 + e^{(1 - 2y)\hat y}\right),
        $$

        the negative log-likelihood of the label when $P(y = 1) = \sigma(\hat y)$: for $y = 1$
        it is $-\log \sigma(\hat y)$, for $y = 0$ it is $-\log(1 - \sigma(\hat y))$. With
        $s = 1 - 2y$ its derivative is

        $$
        \frac{\partial L}{\partial \hat y} = s\,\sigma(s\,\hat y).
        $$

        The sheet takes $y = -1$, which lies outside $\{0, 1\}$; applied as written, the
        factor $s = 1 - 2y$ is $3$ and $L = \log(1 + e^{6})$. We follow the sheet here.
        """
    ),
    code(
        """
        def sigmoid(t):
            return 1.0 / (1.0 + np.exp(-t))


        y = exercise.SHEET_LABEL  # the sheet's label, -1
        s = 1.0 - 2.0 * y  # the factor (1 - 2y)

        L = np.log1p(np.exp(s * y_hat))  # (1,) log(1 + e^{sŷ})
        dL_dyhat = s * sigmoid(s * y_hat)  # (1,) s σ(sŷ)
        print(f"s     = 1 - 2y = {s:g}, sŷ = {s * y_hat[0]:g}")
        print(f"L     = {L[0]:.6f}")
        print(f"dL/dŷ = {dL_dyhat[0]:.6f}")
        """
    ),
    md(
        r"""
        glassnet's `LogisticLoss` computes the same value and derivative. By default it refuses
        labels outside $\{0, 1\}$; `strict_labels=False` applies the formula to $y = -1$ as the
        sheet does.
        """
    ),
    code(
        """
        loss = LogisticLoss("01", strict_labels=False)
        print("glassnet L     =", loss(model(x[None, :]), [[y]]))
        print("glassnet dL/dŷ =", loss.backward())
        """
    ),
    md(
        r"""
        > **Try this.** In the first code cell of this section (`y = exercise.SHEET_LABEL`), set
        > `y = 0.0` (the consistent reading of the sheet's label: class 0), run the cells from there
        > again, and then the same with `y = 1.0`. How do $L$ and $\partial L / \partial \hat y$ change, and why is the
        > sign of the derivative different for the two classes?
        >
        > Section 3 compares your gradients with the worked solution of your step: at the sheet's
        > $x$, for its $y = -1$ with `explain_exercise()`'s main derivation, for `y = 0.0` with its
        > second part, the consistent reading (`explanation.alternative`). The sheet has no
        > $y = 1$, so for that (or any other $y$, or another $x$) there is no sheet reference: the
        > cell explains your step itself, `explain(model, x, y, loss=loss)`, and says so.
        >
        > `np.log1p(np.exp(t))` overflows for large `t` (try `t = 1000`);
        > `np.logaddexp(0.0, t)` computes the same value safely. The training loop below uses it.
        """
    ),
    md(
        r"""
        ## 3. The backward pass, layer by layer

        The chain rule runs from the loss back to the input. Each layer receives the
        gradient with respect to its output and hands on the gradient with respect to its
        input:

        $$
        \begin{aligned}
        \frac{\partial L}{\partial W^o} &= \frac{\partial L}{\partial \hat y}\, h^\top,
        & \frac{\partial L}{\partial b^o} &= \frac{\partial L}{\partial \hat y},
        & \frac{\partial L}{\partial h} &= (W^o)^\top \frac{\partial L}{\partial \hat y}, \\
        \frac{\partial L}{\partial z} &= \frac{\partial L}{\partial h} \odot \mathbf{1}[z > 0], \\
        \frac{\partial L}{\partial W^h} &= \frac{\partial L}{\partial z}\, x^\top,
        & \frac{\partial L}{\partial b^h} &= \frac{\partial L}{\partial z},
        & \frac{\partial L}{\partial x} &= (W^h)^\top \frac{\partial L}{\partial z}.
        \end{aligned}
        $$

        Each gradient has the shape of the thing it belongs to. The output layer first:
        """
    ),
    code(
        """
        dL_dW_o = np.outer(dL_dyhat, h)  # (1, 3) = dL/dŷ · hᵀ
        dL_db_o = dL_dyhat  # (1,)
        dL_dh = W_o.T @ dL_dyhat  # (3,) the error sent back to the hidden layer
        print("dL/dW_o =", dL_dW_o)
        print("dL/db_o =", dL_db_o)
        print("dL/dh   =", dL_dh)
        """
    ),
    md(
        r"""
        Through the ReLU: its derivative is $1$ where $z > 0$ and $0$ elsewhere, so the
        gradient passes through the active units and stops at the others.
        """
    ),
    code(
        """
        relu_grad = (z > 0).astype(float)  # (3,) ReLU'(z)
        dL_dz = dL_dh * relu_grad  # (3,)
        print("ReLU'(z) =", relu_grad)
        print("dL/dz    =", dL_dz)
        """
    ),
    md(r"""Then the hidden layer, and (not needed for training, but checkable) the input:"""),
    code(
        """
        dL_dW_h = np.outer(dL_dz, x)  # (3, 2) = dL/dz · xᵀ
        dL_db_h = dL_dz  # (3,)
        dL_dx = W_h.T @ dL_dz  # (2,)
        print("dL/dW_h =", dL_dW_h, sep="\\n")
        print("dL/db_h =", dL_db_h)
        print("dL/dx   =", dL_dx)
        print(f"dL/dw12h = {dL_dW_h[0, 1]:.6f}")
        """
    ),
    md(
        r"""
        ### The same, worked by glassnet

        `glassnet.explain` writes out the worked solution with the engine's own numbers:
        forward pass, loss, the chain rule for $w^h_{12}$, the update, and a table that
        compares the gradient by each route: the chain rule, glassnet's backward pass, and two
        checks independent of both, finite differences and PyTorch (when it is installed). It
        follows the sheet as written, then the consistent reading $y = 0$.

        Below it is shown as embedded material: its headings sit under this one, and its
        numbered sections (1. to 5.) are its own, not this notebook's. (On its own,
        `explanation` as the last line of a cell shows it with full-size headings.)
        """
    ),
    code(
        """
        explanation = explain_exercise()
        display(Markdown(explanation.to_markdown(heading_level=4)))  # Markdown with LaTeX; title at ####
        """
    ),
    md(
        r"""
        Now the comparison, number by number: our hand-written gradients against glassnet's
        backward pass (`model.backward`, which adds to every parameter's `.grad`) and against
        the gradients recorded in the derivation. glassnet names the parameters after the
        layers: `0.weight` is $W^h$, `2.bias` is $b^o$.
        """
    ),
    code(
        """
        model.zero_grad()
        loss(model(x[None, :]), [[y]])
        model.backward(loss.backward())  # glassnet's backward pass

        hand = {"0.weight": dL_dW_h, "0.bias": dL_db_h, "2.weight": dL_dW_o, "2.bias": dL_db_o}
        gap = 0.0
        for name, parameter in model.named_parameters():
            print(f"{name:9}  hand {hand[name].ravel()}  glassnet {parameter.grad.ravel()}")
            gap = max(gap, float(np.abs(hand[name] - parameter.grad).max()))
        print(f"max |hand - glassnet| = {gap}")
        """
    ),
    code(
        """
        # the worked solution of your step: explain_exercise() works the sheet's x with y = -1 and, in
        # its second part, y = 0; for another x or y the sheet has none, so we explain your step ourselves
        sheet_x = np.array_equal(x, exercise.INPUT)
        if sheet_x and y == exercise.SHEET_LABEL:
            reference, which = explanation.derivation, f"explain_exercise(), the sheet's y = {y:g}"
        elif sheet_x and y == 0.0:
            reference, which = explanation.alternative.derivation, "explain_exercise().alternative, y = 0"
        else:
            reference = explain(model, x, y, loss=loss, params="w12h").derivation
            which = f"explain(model, x, {y:g}): the sheet works no step for x = {x.tolist()}, y = {y:g}"
        derived = [grad for pair in reference.gradients for grad in pair]  # W_h, b_h, W_o, b_o
        gap_explain = max(float(np.abs(a - b).max()) for a, b in zip(hand.values(), derived, strict=True))
        print(f"compared with {which}")
        print(f"max |hand - explain| = {gap_explain}")
        print(f"explain: dL/dw12h = {reference.params[0].engine:.6f}")  # its one explained parameter, w12h
        """
    ),
    md(
        r"""
        ## 4. Gradient check

        A backward pass can be wrong in many quiet ways. The check: nudge one parameter
        $\theta_i$ by $\pm\varepsilon$ and measure how the loss changes (central differences),

        $$
        \frac{\partial L}{\partial \theta_i} \approx
        \frac{L(\theta + \varepsilon e_i) - L(\theta - \varepsilon e_i)}{2\varepsilon},
        $$

        whose error shrinks like $\varepsilon^2$. By hand, for $w^h_{12}$:
        """
    ),
    code(
        """
        def loss_with(W):
            out = W_o @ np.maximum(W @ x + b_h, 0.0) + b_o  # the forward pass with hidden weights W
            return np.log1p(np.exp(s * out))[0]


        eps = 1e-6
        W_plus, W_minus = W_h.copy(), W_h.copy()
        W_plus[0, 1] += eps
        W_minus[0, 1] -= eps
        numeric = (loss_with(W_plus) - loss_with(W_minus)) / (2 * eps)
        print(f"finite differences: {numeric:.10f}")
        print(f"backward pass:      {dL_dW_h[0, 1]:.10f}")
        """
    ),
    md(
        r"""
        `glassnet.gradcheck` does this for every element of every parameter (and, with
        `check_input=True`, for the input), in float64, and reports the largest error:
        """
    ),
    code(
        """
        report = gradcheck(model, loss, x[None, :], [[y]], check_input=True)
        print(report)
        print("input gradient, hand:", dL_dx, " glassnet:", report["input"].analytic.ravel())
        """
    ),
    md(
        r"""
        > **Try this.** Make `eps` much smaller (`1e-12`) or larger (`1e-2`) in the hand-written
        > check. Why does the agreement get *worse* in both directions?
        """
    ),
    md(
        r"""
        ## 5. The update: one step of gradient descent

        With learning rate $\eta = 0.1$ a parameter moves against its gradient,
        $\theta \leftarrow \theta - \eta\, \partial L / \partial \theta$.

        **The sheet's step** moves one weight only, $w^h_{12}$, and leaves the other twelve
        as they are. The sheet rounds the new $w^h_{12}$ to $0.1$; exactly it is
        $0.4 - 0.1 \cdot 3\sigma(6)$. Then the forward pass again, with the new weight:
        """
    ),
    code(
        """
        eta = exercise.LEARNING_RATE
        W_h_sheet = W_h.copy()
        W_h_sheet[0, 1] -= eta * dL_dW_h[0, 1]  # only w12h moves
        print(f"w12h: {W_h[0, 1]} -> {W_h_sheet[0, 1]:.6f}")

        y_hat_sheet = W_o @ np.maximum(W_h_sheet @ x + b_h, 0.0) + b_o  # (1,) forward pass again
        L_sheet = np.log1p(np.exp(s * y_hat_sheet))  # (1,)
        print(f"sheet's step (w12h only): ŷ {y_hat[0]:.6f} -> {y_hat_sheet[0]:.6f}")
        print(f"sheet's step (w12h only): L {L[0]:.6f} -> {L_sheet[0]:.6f}")
        """
    ),
    md(
        r"""
        With the sheet's $x$ and $y$: one weight moved, and the loss goes down, from 6.002476 to
        5.108290. The change of $w^h_{12}$ reaches $\hat y$ through $z_1$, $h_1$ and $w^o_{11}$:
        $\hat y$ falls from 2 to 1.700742, by $w^o_{11} \cdot x_2 \cdot \eta \cdot 3\sigma(6) = 0.5 \cdot 2 \cdot 0.1
        \cdot 3\sigma(6) \approx 0.299$.

        **A full step of gradient descent**, as training does it, moves *every* parameter at
        once: all 13 ($W^h$ 6, $b^h$ 3, $W^o$ 3, $b^o$ 1), except those with zero gradient (with
        the sheet's $x$, the four that belong to the switched-off unit 3), which stay where they are.
        """
    ),
    code(
        """
        W_h_new, b_h_new = W_h - eta * dL_dW_h, b_h - eta * dL_db_h
        W_o_new, b_o_new = W_o - eta * dL_dW_o, b_o - eta * dL_db_o

        y_hat_new = W_o_new @ np.maximum(W_h_new @ x + b_h_new, 0.0) + b_o_new  # (1,)
        L_new = np.log1p(np.exp(s * y_hat_new))  # (1,)
        print(f"full step (all 13): ŷ {y_hat[0]:.6f} -> {y_hat_new[0]:.6f}")
        print(f"full step (all 13): L {L[0]:.6f} -> {L_new[0]:.6f}")
        moved = sum(int(np.count_nonzero(grad)) for grad in (dL_dW_h, dL_db_h, dL_dW_o, dL_db_o))
        print(f"parameters moved (non-zero gradient): {moved} of 13")
        """
    ),
    md(
        r"""
        The parameters moving together, each against its own gradient, push $\hat y$ much
        further than the sheet's single weight did: compare the `ŷ` and `L` lines of the two
        cells above (with the sheet's $x$ and $y$, the loss drops almost to zero). The sheet's
        step is the one to check by hand; the full step is what an optimizer's `step()` does, and
        what the training loop below repeats, batch after batch.
        """
    ),
    md(
        r"""
        **The sheet's answers in one place**, each taken from the cells above (part 4, the
        backward pass and the training, is code rather than a number: sections 3, 6 and 7):
        """
    ),
    code(
        """
        answers = {
            "(1) forward pass, ŷ": y_hat[0],
            "(2) loss, L": L[0],
            "(3) chain rule, ∂L/∂w12h": dL_dW_h[0, 1],
            "(3) one step (η = 0.1), new w12h": W_h_sheet[0, 1],
        }
        for question, value in answers.items():
            print(f"{question:34s} {value:.6f}")
        """
    ),
    md(
        r"""
        ## 6. Training on generated data

        Now the network learns. The data: two interleaving half-moons in the plane, label
        $0$ or $1$ (`glassnet.data.make_moons`, every random choice from the seed). A quarter
        of the points is held out as a test set.

        The settings are in one cell, so you can change them and run everything below again.
        """
    ),
    code(
        """
        SEED = 0
        HIDDEN = 8  # hidden units; the exercise's network has 3 (try HIDDEN = 3)
        LR = 0.5  # η, the SGD step size (try 0.05 and 5.0)
        BATCH = 32  # rows per mini-batch
        EPOCHS = 100  # passes over the training rows (try 500)
        """
    ),
    code(
        """
        X, labels = make_moons(400, noise=0.2, rng=np.random.default_rng(SEED))
        split = train_val_test_split(len(X), test_fraction=0.25, val_fraction=0.0, rng=np.random.default_rng(SEED))
        X_train, y_train = X[split.train], labels[split.train]  # (300, 2), (300,)
        X_test, y_test = X[split.test], labels[split.test]  # (100, 2), (100,)
        print("train:", X_train.shape, " test:", X_test.shape)

        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.scatter(*X_train.T, c=y_train, cmap="coolwarm", s=12, edgecolors="k", linewidths=0.3)
        ax.set(xlabel="$x_1$", ylabel="$x_2$", title="Training data (two moons)")
        plt.show()
        """
    ),
    md(
        r"""
        A **mini-batch** of $B$ rows is a matrix $X_b$ of shape $(B, 2)$. With one row per
        example the forward pass becomes $Z = X_b (W^h)^\top + b^h$, $A = \operatorname{ReLU}(Z)$,
        $\hat Y = A (W^o)^\top + b^o$, and the loss is the **mean** over the batch,
        $L = \frac{1}{B}\sum_i \ell_i$, so every gradient carries a factor $1/B$. The sums
        over the batch appear as matrix products: $\partial L / \partial W^o = (\partial L /
        \partial \hat Y)^\top A$.
        """
    ),
    code(
        """
        def sigmoid(t):  # section 2's, again: this section also runs after the first cell alone
            return 1.0 / (1.0 + np.exp(-t))


        def init_params(hidden, rng):
            \"\"\"PyTorch's default initialisation: W, b ~ U(-1/√fan_in, 1/√fan_in), layer by layer.\"\"\"
            params = {}
            for layer, (fan_in, fan_out) in (("h", (2, hidden)), ("o", (hidden, 1))):
                bound = 1.0 / np.sqrt(fan_in)
                params[f"W_{layer}"] = rng.uniform(-bound, bound, size=(fan_out, fan_in))
                params[f"b_{layer}"] = rng.uniform(-bound, bound, size=fan_out)
            return params


        def forward(params, X):
            Z = X @ params["W_h"].T + params["b_h"]  # (B, H)
            A = np.maximum(Z, 0.0)  # (B, H)
            Y_hat = A @ params["W_o"].T + params["b_o"]  # (B, 1)
            return Y_hat, (X, Z, A)


        def logistic_loss(Y_hat, y):
            \"\"\"Mean logistic loss over the batch and its gradient dL/dŶ, shape (B, 1).\"\"\"
            s = (1.0 - 2.0 * y)[:, None]  # (B, 1)
            value = np.mean(np.logaddexp(0.0, s * Y_hat))  # log(1 + e^{sŷ}) without overflow
            return value, s * sigmoid(s * Y_hat) / len(y)


        def backward(params, cache, dL_dY):
            X, Z, A = cache
            grads = {"W_o": dL_dY.T @ A, "b_o": dL_dY.sum(axis=0)}  # (1, H), (1,)
            dL_dZ = (dL_dY @ params["W_o"]) * (Z > 0)  # (B, H): back through W_o, then ReLU
            grads["W_h"] = dL_dZ.T @ X  # (H, 2)
            grads["b_h"] = dL_dZ.sum(axis=0)  # (H,)
            return grads
        """
    ),
    md(
        r"""
        The training loop: each epoch shuffles the training rows, cuts them into batches, and
        for each batch runs forward, loss, backward and the SGD update
        $\theta \leftarrow \theta - \eta\,\nabla_\theta L$.

        The starting weights and the shuffles are drawn exactly as glassnet's `Trainer` draws
        them (the weights from `default_rng([SEED, 0])`, then one permutation per epoch from a
        second generator, `default_rng([SEED, 0, ORDER_STREAM])`), so that section 7 can compare
        the two runs number by number.
        """
    ),
    code(
        """
        params = init_params(HIDDEN, np.random.default_rng([SEED, 0]))
        shuffles = np.random.default_rng([SEED, 0, ORDER_STREAM])  # the batch orders
        history = []  # mean training loss per epoch
        start = time.perf_counter()
        for _ in range(EPOCHS):
            order = shuffles.permutation(len(X_train))
            total = 0.0
            for lo in range(0, len(order), BATCH):
                rows = order[lo : lo + BATCH]
                Y_hat, cache = forward(params, X_train[rows])
                value, dL_dY = logistic_loss(Y_hat, y_train[rows])
                grads = backward(params, cache, dL_dY)
                for name in params:
                    params[name] -= LR * grads[name]  # SGD
                total += value * len(rows)
            history.append(total / len(X_train))
        seconds = time.perf_counter() - start


        def accuracy(params, X, y):
            return float(np.mean((forward(params, X)[0][:, 0] > 0) == (y == 1)))


        print(f"{EPOCHS} epochs in {seconds:.2f} s; final training loss {history[-1]:.4f}")
        print(f"train accuracy {accuracy(params, X_train, y_train):.3f}")
        print(f"test accuracy  {accuracy(params, X_test, y_test):.3f}")
        """
    ),
    code(
        """
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot(np.arange(1, len(history) + 1), history)  # epochs 1, 2, ...
        ax.set(xlabel="epoch", ylabel="mean training loss", title="Loss curve")
        ax.grid(alpha=0.3)
        plt.show()
        """
    ),
    md(
        r"""
        The **decision boundary** is where $\hat y = 0$, i.e. $\sigma(\hat y) = 0.5$. We
        evaluate the network on a grid over the plane and colour it by $\sigma(\hat y)$.
        A ReLU network is piecewise linear. Each hidden unit $j$ switches on or off along its
        own *switching line* $W^h_j x + b^h_j = 0$ (row $j$ of $W^h$), and these lines cut the
        plane into regions. Inside a region the on/off pattern of the hidden units is fixed, so
        $\hat y$ is a linear function of $x$ there and the boundary is straight; it can bend only
        where it crosses a switching line, and it may cross the same unit's line more than once.
        """
    ),
    code(
        """
        def plot_boundary(predict, title):
            g1, g2 = np.meshgrid(np.linspace(-1.6, 2.6, 200), np.linspace(-1.2, 1.7, 200))
            logits = predict(np.column_stack([g1.ravel(), g2.ravel()])).reshape(g1.shape)
            fig, ax = plt.subplots(figsize=(5.5, 4))
            filled = ax.contourf(g1, g2, sigmoid(logits), levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.6)
            ax.contour(g1, g2, logits, levels=[0.0], colors="k")
            ax.scatter(*X_test.T, c=y_test, cmap="coolwarm", s=14, edgecolors="k", linewidths=0.4)
            fig.colorbar(filled, label="σ(ŷ) = P(class 1)")
            ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title)
            plt.show()


        plot_boundary(lambda X: forward(params, X)[0], "Hand-written loop: test points")
        """
    ),
    md(
        r"""
        > **Try this.**
        > - `HIDDEN = 3`, the exercise's width: how many straight pieces does the boundary have now?
        > - `LR = 5.0`: what happens to the loss curve? And `LR = 0.05`?
        > - Replace the ReLU by $\tanh$ (in `forward` *and* in `backward`: its derivative is
        >   $1 - \tanh^2 z$) and compare the boundaries. Section 7's "Two runs, one curve" will
        >   then (rightly) show two different curves, and `max |hand loop - Trainer|` will be
        >   large: the `Trainer` still trains a ReLU network. Add `activation="tanh"` to its
        >   `TrainConfig` and the two runs agree again.
        """
    ),
    md(
        r"""
        ## 7. The same with glassnet's `Trainer`: a configuration and one call

        `TrainConfig` holds every setting of a run; `Trainer` runs the same loop (forward,
        loss, backward, optimizer step per batch) with glassnet's layers, whose `backward`
        methods are the code we wrote above. Plain SGD, no momentum, no weight decay, a
        constant learning rate: exactly our loop.
        """
    ),
    code(
        """
        config = TrainConfig(
            hidden=(HIDDEN,),
            loss="logistic",
            optimizer="sgd",
            lr=LR,
            momentum=0.0,
            weight_decay=0.0,
            schedule="constant",
            batch_size=BATCH,
            epochs=EPOCHS,
            seed=SEED,
        )
        result = Trainer(config, X_train, y_train).run()
        threshold = decision_threshold(config.output_activation)  # 0: the model outputs logits
        print("test:", classification_metrics(result.predict(X_test), y_test, threshold=threshold))
        """
    ),
    md(
        r"""
        Same starting weights, same batches, same arithmetic: the two runs should end with the
        same weights, up to floating-point rounding.
        """
    ),
    code(
        """
        trained = result.weights[0]  # glassnet's names for our parameters:
        names = {"W_h": "0.weight", "b_h": "0.bias", "W_o": "2.weight", "b_o": "2.bias"}
        weight_gap = max(float(np.abs(params[ours] - trained[theirs]).max()) for ours, theirs in names.items())
        print(f"max |hand loop - Trainer| over all weights = {weight_gap:.1e}")

        fig, ax = plt.subplots(figsize=(5, 3.5))
        trainer_loss = [record["train_loss"] for record in result.history]
        ax.plot(np.arange(1, len(history) + 1), history, label="hand-written loop", linewidth=3, alpha=0.5)
        ax.plot(np.arange(1, len(trainer_loss) + 1), trainer_loss, "k--", label="glassnet Trainer")
        ax.set(xlabel="epoch", ylabel="mean training loss", title="Two runs, one curve")
        ax.legend()
        plt.show()
        """
    ),
    md(
        r"""
        > **Try this.** `Trainer(config.replace(optimizer="adam", lr=0.05), X_train, y_train).run()`
        > trains with Adam instead; `config.replace(engine="torch")` trains the same network with
        > PyTorch. Each is one change to the configuration, none to the loop.

        The worked derivation of section 3 is also on the command line:
        `glassnet explain --example exercise --all-params` (add `-o step.tex` for LaTeX).

        **Next:** part 2 (`02_pytorch_airfoil.ipynb`) trains a regression network on real
        measurements, by hand in NumPy and then with PyTorch, and compares them with glassnet's
        two engines.
        """
    ),
]


# --------------------------------------------------------------------------------------
# 02: PyTorch on the airfoil data
# --------------------------------------------------------------------------------------

AIRFOIL: list[Cell] = [
    md(
        r"""
        # Part 2: PyTorch on the airfoil data

        Part 1 wrote backpropagation by hand, for a classifier on generated data. Here we write
        it once more for regression on real measurements, then let PyTorch's autograd do it,
        and spend our effort on the rest of a real regression project:

        1. **look** at the data: a table and a few plots;
        2. **split** it and **standardise** it without leaking the test set into training;
        3. a **hand-written NumPy training loop** for regression: forward pass (Linear, ReLU),
           mean squared error and its gradient, backward pass layer by layer, SGD, and the test
           error in dB;
        4. a `torch.nn` model and a **hand-written PyTorch training loop**;
        5. **evaluate** in decibels (RMSE, MAE, $R^2$) with plots;
        6. the same training with glassnet's **torch engine** and its **NumPy engine**: do they
           agree, and how fast is each?

        Training is kept short (`EPOCHS` below) so the notebook runs in seconds; raise it to
        see how good the models get.
        """
    ),
    code(
        """
        import itertools
        import time

        import matplotlib.pyplot as plt
        import numpy as np
        import torch
        from IPython.display import Markdown, display

        from glassnet.data import AIRFOIL_LOG_COLUMNS, Preprocessor, load_airfoil, train_val_test_split
        from glassnet.train import TrainConfig, Trainer, regression_metrics, target_scale

        np.set_printoptions(precision=4, suppress=True)
        torch.set_num_threads(1)  # small networks: a second thread only adds waiting (see the end)
        """
    ),
    md(
        r"""
        ## 1. The data

        The NASA airfoil self-noise data (Brooks, Pope & Marcolini, 1989; UCI dataset 291):
        1503 wind-tunnel measurements of the noise an airfoil blade makes. Five inputs
        (frequency, angle of attack, chord length, free-stream velocity, suction-side
        displacement thickness) and one target, the scaled sound pressure level in dB.

        `load_airfoil()` finds the file (see `glassnet data info`; `glassnet data fetch airfoil`
        downloads it) and checks it line by line.
        """
    ),
    code(
        """
        data = load_airfoil()
        names = [*data.feature_names, data.target_name]
        units = [*data.feature_units, data.target_unit]
        table = np.column_stack([data.X, data.y])  # (1503, 6)
        print(f"{len(data)} rows from {data.source.name}; X {data.X.shape}, y {data.y.shape}")
        """
    ),
    code(
        """
        lines = ["| column | unit | min | mean | max | distinct values |", "|---|---|--:|--:|--:|--:|"]
        for name, unit, column in zip(names, units, table.T, strict=True):
            lines.append(
                f"| {name} | {unit} | {column.min():.4g} | {column.mean():.4g} | {column.max():.4g} "
                f"| {len(np.unique(column))} |"
            )
        lines += ["", "First five rows:", "", "| " + " | ".join(names) + " |", "|" + "--:|" * len(names)]
        lines += ["| " + " | ".join(f"{value:g}" for value in row) + " |" for row in table[:5]]
        display(Markdown("\\n".join(lines)))
        """
    ),
    md(
        r"""
        Note the *distinct values*: the measurements were taken on a grid of a few chord
        lengths, four velocities and a set of frequencies. Frequency runs from 200 Hz to
        20 kHz (the table's 2e+04), two orders of magnitude, so we look at it on a log scale:
        a log axis, and bins of equal width in $\log f$ (`np.geomspace`), each bin a fixed
        *ratio* of frequencies wide; with 21 of them, each holds one of the 21 measured
        frequencies. On a linear axis most of the rows would crowd into the first few bins.
        """
    ),
    code(
        """
        fig, axes = plt.subplots(2, 3, figsize=(11, 5.5))
        for ax, name, unit, column in zip(axes.flat, names, units, table.T, strict=True):
            if name == "frequency":  # log axis, log-spaced bins: 22 edges, 21 bins
                ax.hist(column, bins=np.geomspace(column.min(), column.max(), 22), color="tab:blue", alpha=0.8)
                ax.set_xscale("log")
            else:
                ax.hist(column, bins=30, color="tab:blue", alpha=0.8)
            ax.set_title(f"{name} [{unit}]", fontsize=10)
            ax.set_ylabel("rows")
        fig.tight_layout()
        plt.show()
        """
    ),
    code(
        """
        fig, ax = plt.subplots(figsize=(7, 4))
        points = ax.scatter(data.X[:, 0], data.y, c=data.X[:, 3], s=8, cmap="viridis")
        ax.set(xscale="log", xlabel="frequency [Hz]", ylabel="sound pressure level [dB]")
        fig.colorbar(points, label="velocity [m/s]")
        ax.set_title("Noise against frequency, coloured by velocity")
        plt.show()
        """
    ),
    md(
        r"""
        ## 2. Split, then standardise, without leakage

        Three parts: **train** (fit the weights), **validation** (watch for overfitting,
        choose settings) and **test** (touched once, at the end). The split is drawn from a
        seed, so it is the same every run.

        Networks train best on inputs of similar scale, so we standardise each column,
        $z_j = (\tilde x_j - \mu_j) / \sigma_j$, after taking logs of frequency and
        displacement thickness ($\tilde x_j = \ln x_j$ for those two). The target is
        standardised too, $t = (y - \mu_y)/\sigma_y$, and predictions are mapped back to dB
        with $y = \sigma_y t + \mu_y$.

        **Leakage:** $\mu$ and $\sigma$ must come from the training rows only. Computed on all
        rows, they would carry information about the test set into training, and the test
        error would no longer be an honest estimate.
        """
    ),
    code(
        """
        SEED = 0
        split = train_val_test_split(len(data), test_fraction=0.2, val_fraction=0.1, rng=np.random.default_rng(SEED))
        print(f"train {len(split.train)}, validation {len(split.val)}, test {len(split.test)} rows")

        # logs of frequency and displacement thickness (columns 0 and 4), then μ, σ from the training rows only
        prep = Preprocessor(log_columns=AIRFOIL_LOG_COLUMNS).fit(data.X[split.train], data.y[split.train])
        X_train, y_train = prep.transform_x(data.X[split.train]), prep.transform_y(data.y[split.train])
        X_val, y_val = prep.transform_x(data.X[split.val]), prep.transform_y(data.y[split.val])
        X_test, y_test = prep.transform_x(data.X[split.test]), prep.transform_y(data.y[split.test])
        sigma_y = target_scale(prep)  # dB per standardised unit
        print("train means:", X_train.mean(axis=0), " stds:", X_train.std(axis=0))
        print("test means: ", X_test.mean(axis=0))
        print(f"σ_y = {sigma_y:.3f} dB")
        """
    ),
    md(
        r"""
        The training rows now have mean 0 and standard deviation 1 in every column (to
        rounding: a `-0.` is a tiny negative mean, of order $10^{-14}$). The test rows are only
        roughly centred, with means of up to about 0.2: they were standardised with the
        training rows' $\mu$ and $\sigma$, as new data will be.

        > **Try this.** Fit the `Preprocessor` on *all* rows instead and compare the test
        > error at the end. With this much data the difference is small, but the habit
        > matters: on a small data set, or with a target-dependent transform, it is not.
        """
    ),
    md(
        r"""
        ## 3. Training by hand in NumPy

        Before PyTorch, the whole of training once more in NumPy, as in part 1 but for
        regression: a network of `Linear` layers with ReLU between them, $\hat y = W_3
        \operatorname{ReLU}(W_2 \operatorname{ReLU}(W_1 x + b_1) + b_2) + b_3$, trained on the
        mean squared error of the standardised target,

        $$
        L = \frac{1}{B} \sum_{i=1}^{B} (\hat y_i - t_i)^2, \qquad
        \frac{\partial L}{\partial \hat y_i} = \frac{2}{B} (\hat y_i - t_i).
        $$

        The backward pass runs from the output down: each `Linear` layer turns the gradient with
        respect to its output, $G$ (one row per example), into $\partial L / \partial W = G^\top A$
        and $\partial L / \partial b = \sum_i G_i$ ($A$ is the layer's input) and hands $G W$ down,
        through the ReLU below it, which passes it where its unit was on. Every random choice (the
        starting weights, the shuffles) comes from one seeded NumPy generator.
        """
    ),
    code(
        """
        NP_HIDDEN = 32  # units in each of the two hidden layers
        NP_LR = 0.1  # η, the SGD step size
        NP_BATCH = 32  # rows per mini-batch
        NP_EPOCHS = 60  # passes over the training rows


        def init_layers(sizes, rng):
            \"\"\"One {"W", "b"} per Linear layer, PyTorch's default: U(-1/√fan_in, 1/√fan_in).\"\"\"
            layers = []
            for fan_in, fan_out in itertools.pairwise(sizes):
                bound = 1.0 / np.sqrt(fan_in)
                W = rng.uniform(-bound, bound, size=(fan_out, fan_in))  # (out, in)
                b = rng.uniform(-bound, bound, size=fan_out)  # (out,)
                layers.append({"W": W, "b": b})
            return layers


        def forward(layers, X):
            \"\"\"Linear, ReLU, Linear, ReLU, Linear: the output (N, 1) and each layer's input, for backward.\"\"\"
            inputs = []
            A = X  # (N, 5)
            for k, layer in enumerate(layers):
                inputs.append(A)
                Z = A @ layer["W"].T + layer["b"]  # (N, out)
                A = np.maximum(Z, 0.0) if k < len(layers) - 1 else Z  # ReLU on the hidden layers only
            return A, inputs


        def backward(layers, inputs, G):
            \"\"\"dL/dW, dL/db of every layer, from the output's G = dL/dŶ (N, 1) down.\"\"\"
            grads = [None] * len(layers)
            for k in reversed(range(len(layers))):
                grads[k] = {"W": G.T @ inputs[k], "b": G.sum(axis=0)}  # (out, in), (out,)
                if k > 0:  # back through W, then the ReLU below: its input is on where ReLU(z) > 0
                    G = (G @ layers[k]["W"]) * (inputs[k] > 0)  # (N, in)
            return grads


        def mse(layers, X, t):
            return float(np.mean((forward(layers, X)[0][:, 0] - t) ** 2))
        """
    ),
    md(
        r"""
        The loop: shuffle, cut into mini-batches, and for each batch forward, loss gradient,
        backward and the SGD update $\theta \leftarrow \theta - \eta\,\partial L / \partial \theta$.
        """
    ),
    code(
        """
        rng = np.random.default_rng(SEED)  # the starting weights, then the shuffles
        layers = init_layers([X_train.shape[1], NP_HIDDEN, NP_HIDDEN, 1], rng)
        mse_before = mse(layers, X_train, y_train)

        start = time.perf_counter()
        for _ in range(NP_EPOCHS):
            order = rng.permutation(len(X_train))
            for lo in range(0, len(order), NP_BATCH):
                rows = order[lo : lo + NP_BATCH]
                Y_hat, inputs = forward(layers, X_train[rows])  # (B, 1)
                G = 2.0 * (Y_hat - y_train[rows, None]) / len(rows)  # (B, 1) dL/dŶ of the mean squared error
                grads = backward(layers, inputs, G)
                for layer, grad in zip(layers, grads, strict=True):
                    for name in ("W", "b"):
                        layer[name] -= NP_LR * grad[name]  # SGD
        numpy_seconds = time.perf_counter() - start

        print(f"NumPy loop: {NP_EPOCHS} epochs in {numpy_seconds:.2f} s")
        print(f"NumPy loop: training MSE {mse_before:.4f} -> {mse(layers, X_train, y_train):.4f} (standardised)")
        numpy_db = prep.inverse_transform_y(forward(layers, X_test)[0][:, 0])  # back to dB
        numpy_rmse = np.sqrt(np.mean((numpy_db - data.y[split.test]) ** 2))
        print(f"NumPy loop: test RMSE {numpy_rmse:.3f} dB")
        """
    ),
    md(
        r"""
        `prep.inverse_transform_y` undoes the target's scaling, $y = \sigma_y t + \mu_y$, so the
        error is in dB. From here on PyTorch's autograd does the backward pass; section 6 comes
        back to NumPy with glassnet's NumPy engine, whose layers do what `forward` and `backward`
        do here, and times it against PyTorch.

        > **Try this.** Set `NP_LR = 1.0` (what happens to the training MSE?), or replace SGD by
        > Adam: keep a running mean of each gradient and of its square, as section 6's
        > `engine="numpy"` does.
        """
    ),
    md(
        r"""
        ## 4. A `torch.nn` model and a hand-written training loop

        A multilayer perceptron with two hidden ReLU layers, trained on the mean squared
        error of the standardised target with Adam. The settings are in one cell:
        """
    ),
    code(
        """
        HIDDEN = 64  # units per hidden layer
        LR = 2e-3  # Adam's learning rate
        BATCH = 64  # rows per mini-batch
        EPOCHS = 60  # passes over the training rows; try 1000 (under a minute)
        """
    ),
    code(
        """
        def make_net(inputs, hidden):
            \"\"\"`inputs` -> two hidden ReLU layers of `hidden` units -> 1 output, fresh weights.\"\"\"
            return torch.nn.Sequential(
                torch.nn.Linear(inputs, hidden),  # (N, inputs) -> (N, hidden)
                torch.nn.ReLU(),
                torch.nn.Linear(hidden, hidden),  # (N, hidden) -> (N, hidden)
                torch.nn.ReLU(),
                torch.nn.Linear(hidden, 1),  # (N, hidden) -> (N, 1)
            )


        preview = make_net(X_train.shape[1], HIDDEN)  # to look at; the training cell builds (and seeds) its own
        print(preview)
        print("parameters:", sum(p.numel() for p in preview.parameters()))


        def as_tensor(array):
            return torch.as_tensor(array, dtype=torch.float32).reshape(len(array), -1)  # (N, d) or (N, 1)


        Xt, yt = as_tensor(X_train), as_tensor(y_train)
        Xv, yv = as_tensor(X_val), as_tensor(y_val)
        """
    ),
    md(
        r"""
        The loop is the NumPy loop above with autograd doing the backward pass: `loss.backward()`
        fills every parameter's `.grad`, `optimizer.step()` applies the update. PyTorch
        *adds* to `.grad`, so each step starts with `optimizer.zero_grad()`.

        The cell builds the network itself, from the seed, so running it again trains a fresh
        network from the same starting weights (not the trained one, a second time).
        """
    ),
    code(
        """
        torch.manual_seed(SEED)  # the starting weights come from torch's global generator
        net = make_net(X_train.shape[1], HIDDEN)  # one input per feature column
        optimizer = torch.optim.Adam(net.parameters(), lr=LR)
        criterion = torch.nn.MSELoss()  # not `mse`: the NumPy loop above has a function of that name
        shuffle = torch.Generator().manual_seed(SEED)
        curves = {"train": [], "val": []}

        start = time.perf_counter()
        for epoch in range(EPOCHS):
            net.train()
            order = torch.randperm(len(Xt), generator=shuffle)
            total = 0.0
            for lo in range(0, len(order), BATCH):
                rows = order[lo : lo + BATCH]
                optimizer.zero_grad()
                loss = criterion(net(Xt[rows]), yt[rows])
                loss.backward()  # autograd: dL/dθ for every parameter
                optimizer.step()
                total += loss.item() * len(rows)
            net.eval()
            with torch.no_grad():
                curves["val"].append(criterion(net(Xv), yv).item())
            curves["train"].append(total / len(Xt))
            if (epoch + 1) % 20 == 0:
                print(f"epoch {epoch + 1:4}: MSE train {curves['train'][-1]:.4f}, val {curves['val'][-1]:.4f}")
        torch_seconds = time.perf_counter() - start
        print(f"{EPOCHS} epochs in {torch_seconds:.2f} s (MSE in standardised units)")
        """
    ),
    code(
        """
        fig, ax = plt.subplots(figsize=(5.5, 3.5))
        epochs = np.arange(1, len(curves["train"]) + 1)  # 1, 2, ... as many as were trained
        ax.plot(epochs, curves["train"], label="train")
        ax.plot(epochs, curves["val"], label="validation")
        ax.set(yscale="log", xlabel="epoch", ylabel="MSE (standardised)", title="Loss curves")
        ax.legend()
        ax.grid(alpha=0.3)
        plt.show()
        """
    ),
    md(
        r"""
        ## 5. Evaluation in decibels

        The model predicts standardised values; errors that mean something are in dB. With
        $n$ test rows, predictions $\hat y_i$ and measurements $y_i$ (both in dB):

        $$
        \mathrm{RMSE} = \sqrt{\tfrac{1}{n}\textstyle\sum_i (\hat y_i - y_i)^2}, \qquad
        \mathrm{MAE} = \tfrac{1}{n}\textstyle\sum_i |\hat y_i - y_i|, \qquad
        R^2 = 1 - \frac{\sum_i (\hat y_i - y_i)^2}{\sum_i (y_i - \bar y)^2}.
        $$

        $R^2 = 1$ is a perfect fit; $R^2 = 0$ is no better than always predicting the mean.
        """
    ),
    code(
        """
        def predict_db(net, X):
            net.eval()  # evaluation mode (no dropout or batch-norm here, but the habit matters)
            with torch.no_grad():
                out = net(as_tensor(X)).numpy()[:, 0]  # standardised
            return prep.inverse_transform_y(out)  # dB


        measured = data.y[split.test]  # dB
        predicted = predict_db(net, X_test)
        error = predicted - measured
        rmse = np.sqrt(np.mean(error**2))
        mae = np.mean(np.abs(error))
        r2 = 1 - np.sum(error**2) / np.sum((measured - measured.mean()) ** 2)
        print(f"test: RMSE {rmse:.3f} dB, MAE {mae:.3f} dB, R² {r2:.4f}")
        print("glassnet.train.regression_metrics:", regression_metrics(predicted, measured))
        """
    ),
    code(
        """
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
        left.scatter(measured, predicted, s=8, alpha=0.6)
        ends = [measured.min(), measured.max()]
        left.plot(ends, ends, "k-", linewidth=1, label="perfect")
        left.set(xlabel="measured [dB]", ylabel="predicted [dB]", title=f"Test set: RMSE {rmse:.2f} dB")
        left.legend()
        right.scatter(data.X[split.test, 0], error, s=8, alpha=0.6)
        right.axhline(0.0, color="k", linewidth=1)
        right.set(xscale="log", xlabel="frequency [Hz]", ylabel="predicted − measured [dB]", title="Residuals")
        fig.tight_layout()
        plt.show()
        """
    ),
    md(
        r"""
        > **Try this.** Set `EPOCHS = 1000` and run the notebook again: how low does the test
        > RMSE go, and do the two loss curves start to part (overfitting)? Then try
        > `HIDDEN = 256` or a third hidden layer.
        """
    ),
    md(
        r"""
        ## 6. The same with glassnet: torch engine and NumPy engine

        glassnet's `Trainer` runs the same recipe (Adam, constant learning rate, mini-batches
        of 64) with either engine:

        - `engine="torch"`: a `torch.nn.Sequential` trained with `torch.optim`;
        - `engine="numpy"`: glassnet's own layers, whose backward passes are written out in
          NumPy as in part 1, with an Adam that follows PyTorch's update rule to the letter.

        Both start from the same weights (drawn from the seed) and see the same batches, in
        float64, so they should agree to rounding. `target_scale` turns the reported errors into dB.
        """
    ),
    code(
        """
        config = TrainConfig(
            hidden=(HIDDEN, HIDDEN),
            optimizer="adam",
            lr=LR,
            weight_decay=0.0,
            schedule="constant",
            batch_size=BATCH,
            epochs=EPOCHS,
            seed=SEED,
            restore_best=False,  # keep the last epoch's weights, as our loop does
            refit=False,  # one pass, as our loop (the CLI's recipe retrains on train + val at the end)
        )
        results = {}
        for engine in ("torch", "numpy"):
            trainer = Trainer(config.replace(engine=engine), X_train, y_train, X_val, y_val, target_scale=sigma_y)
            results[engine] = trainer.run()
            final = results[engine].history[-1]
            print(f"{engine:5}: {results[engine].seconds:.2f} s, validation RMSE {final['val_rmse']:.3f} dB")
        """
    ),
    code(
        """
        weights_t, weights_n = results["torch"].weights[0], results["numpy"].weights[0]
        weight_gap = max(float(np.abs(weights_t[name] - weights_n[name]).max()) for name in weights_t)
        db_t = prep.inverse_transform_y(results["torch"].predict(X_test)[:, 0])
        db_n = prep.inverse_transform_y(results["numpy"].predict(X_test)[:, 0])
        print(f"max |torch - numpy| over all weights:     {weight_gap:.1e}")
        print(f"max |torch - numpy| over test predictions: {np.abs(db_t - db_n).max():.1e} dB")
        """
    ),
    md(
        r"""
        All three runs side by side. The hand-written loop used float32 and its own seed and
        shuffles, so its numbers differ a little from glassnet's.
        """
    ),
    code(
        """
        rows = [
            ("hand-written PyTorch loop", torch_seconds, predicted),
            ("glassnet, engine=torch", results["torch"].seconds, db_t),
            ("glassnet, engine=numpy", results["numpy"].seconds, db_n),
        ]
        lines = ["| run | seconds | test RMSE [dB] | MAE [dB] | R² |", "|---|--:|--:|--:|--:|"]
        for label, secs, db in rows:
            m = regression_metrics(db, measured)
            lines.append(f"| {label} | {secs:.2f} | {m['rmse']:.3f} | {m['mae']:.3f} | {m['r2']:.4f} |")
        display(Markdown("\\n".join(lines)))
        """
    ),
    code(
        """
        fig, ax = plt.subplots(figsize=(5.5, 3.5))
        for name, style in (("torch", "-"), ("numpy", "--")):
            rmse_curve = [record["val_rmse"] for record in results[name].history]
            ax.plot(np.arange(1, len(rmse_curve) + 1), rmse_curve, style, label=f"glassnet {name}")
        hand_curve = np.sqrt(curves["val"]) * sigma_y  # MSE (standardised) -> RMSE in dB
        ax.plot(np.arange(1, len(hand_curve) + 1), hand_curve, ":", label="hand-written loop")
        ax.set(xlabel="epoch", ylabel="validation RMSE [dB]", title="Same recipe, three runs")
        ax.legend()
        plt.show()
        """
    ),
    md(
        r"""
        For a network this small, NumPy keeps up with PyTorch on the CPU, and is often faster:
        each step is a handful of small matrix products, and the fixed cost of each call
        matters more than the arithmetic. Wider networks and larger batches give each call more
        arithmetic, but on a CPU that does not by itself hand the lead to PyTorch: the
        Try-this below lets you measure it on your machine, and `docs/benchmarks.md` has
        measured figures (there, on a 2-core CPU, glassnet's NumPy loop stays ahead of PyTorch
        at every batch size measured, from 1 to the full 1081 rows, and at widths 64 and 256; at
        width 1024 PyTorch on two threads was the faster in the latest run, and the runs do not
        agree on it). What NumPy cannot use at all is a GPU: that takes the torch engine,
        `engine="torch", device="cuda"`.

        We asked PyTorch for one thread at the top, for the hand-written loop: with matrices
        this small, splitting each product across threads costs more in synchronisation than
        it gains, and on a busy machine a thread that waits for a core can slow every step down
        several times. glassnet's `Trainer` sets the thread count itself while it trains, for
        either engine: `TrainConfig.threads`, 1 by default (0 leaves it as it is).

        > **Try this.** Time both engines with `hidden=(256, 256, 256)` and `batch_size=256`,
        > or with `dtype="float32"`, or with more threads: `config.replace(threads=4)`
        > (calling `torch.set_num_threads(4)` yourself does not reach the `Trainer`, which
        > imposes `config.threads` while it trains). Which engine wins now?
        >
        > `TrainConfig()` with no arguments holds the training settings of glassnet's full
        > airfoil recipe: three hidden layers of 128, AdamW with weight decay 0.01, a cosine
        > schedule after 20 warm-up epochs, 1000 epochs, and a *refit* (a first run that
        > validates, then a second from the same starting weights on the training and
        > validation rows together), so it trains twice. A `Trainer` on this notebook's arrays
        > is still not `glassnet train airfoil`: the command line's data pipeline also adds
        > Fourier features (8 sines and 8 cosines of every standardised input: 5 inputs become
        > 85), which these arrays lack. Add them with `Preprocessor(log_columns=AIRFOIL_LOG_COLUMNS,
        > fourier_features=8, fourier_sigma=AIRFOIL_FOURIER_SIGMA)` in section 2 (the recipe's σ per feature,
        > imported from `glassnet.train`; every model here then takes 85 inputs), or run the whole recipe, split and
        > features included: `from glassnet.train import train_airfoil`, then
        > `run = train_airfoil(data)`, and compare `run.metrics["test"]` with the table above
        > (the same seed gives the same 301 test rows). The full recipe trains a larger network
        > twice for 1000 epochs: tens of seconds on a CPU, not one or two.
        """
    ),
]


NOTEBOOKS: dict[str, list[Cell]] = {
    "01_backprop_numpy.ipynb": BACKPROP,
    "02_pytorch_airfoil.ipynb": AIRFOIL,
}


def build(name: str) -> NotebookNode:
    """The notebook ``name`` (a key of NOTEBOOKS) with stable cell ids and no outputs."""
    stem = name.split("_", 1)[0]
    cells = []
    for index, (kind, source) in enumerate(NOTEBOOKS[name]):
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        cell["id"] = f"nb{stem}-{index:02d}"  # stable ids: regenerating gives the same file
        cells.append(cell)
    notebook = new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nbformat.validate(notebook)
    return notebook


def render(name: str) -> str:
    """The file contents nbformat writes for notebook ``name``."""
    return nbformat.writes(build(name)) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a notebook is stale")
    args = parser.parse_args(argv)
    stale = []
    for name in NOTEBOOKS:
        path = HERE / name
        text = render(name)
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"out of date (run python notebooks/build.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
