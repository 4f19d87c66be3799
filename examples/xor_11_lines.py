"""Tutorial 003, "A neural network in 11 lines of Python" (iamtrask), with no derivative by hand.

The tutorial trains two sigmoid networks on four examples and writes the backward pass itself
(``l1_delta = l1_error * nonlin(l1, True)``). Here the forward pass is the same tensor
expression and ``.backward()`` does the rest: the tutorial's update ``syn += l.T.dot(delta)``
is one gradient-descent step of rate 1 on the cost ``0.5 * sum((y - out)**2)``.

Same seed, same initialisation, same maths, float64: the printed numbers are the tutorial's,
to 1e-8. Then the three-layer network the idiomatic way (``nn.Sequential`` of bias-free
``nn.Linear`` and ``nn.Sigmoid``, ``nn.MSELoss``, ``nn.optim.SGD``), started from the same
weights: it prints the same numbers too. Run: ``python examples/xor_11_lines.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from _common import gradient_descent_step, parse_args

import autograd_lite as ag
import nn

X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64)
Y_FIRST_COLUMN = np.array([[0, 0, 1, 1]], dtype=np.float64).T
Y_XOR = np.array([[0, 1, 1, 0]], dtype=np.float64).T

TUTORIAL_TWO_LAYER_OUTPUT = np.array([[0.00966449], [0.00786506], [0.99358898], [0.99211957]])
TUTORIAL_XOR_ERRORS = [0.496410031903, 0.00858452565325, 0.00578945986251, 0.00462917677677,
                       0.00395876528027, 0.00351012256786]
TOLERANCE = 1e-8  # the tutorial prints 8 to 12 significant digits


def main(argv: Sequence[str] | None = None) -> dict:
    """Train both networks of the tutorial, print their numbers next to the tutorial's."""
    args = parse_args(__doc__.splitlines()[0], argv, default_seed=1)

    weights = tutorial_weights(args.seed, (3, 1))
    output, _ = train(weights, Y_FIRST_COLUMN, steps=10000)
    print("two layers, output after training (tutorial: 0.00966449 0.00786506 0.99358898 "
          "0.99211957):")
    print(output)
    two_layer_matches = agrees(output, TUTORIAL_TWO_LAYER_OUTPUT, args.seed)

    weights = tutorial_weights(args.seed, (3, 4), (4, 1))
    _, errors = train(weights, Y_XOR, steps=60000, report_every=10000)
    for error, expected in zip(errors, TUTORIAL_XOR_ERRORS, strict=True):
        print(f"three layers (XOR), Error:{error:.12f}   tutorial: {expected:.12f}")
    xor_matches = agrees(errors, TUTORIAL_XOR_ERRORS, args.seed)

    steps = 10001 if args.quick else 60000  # --quick: the first two reports only
    nn_errors = train_idiomatic(tutorial_weights(args.seed, (3, 4), (4, 1)), steps)
    print("the idiomatic nn way, Error: " + ", ".join(f"{e:.12f}" for e in nn_errors))
    nn_matches = agrees(nn_errors, TUTORIAL_XOR_ERRORS[:len(nn_errors)], args.seed)

    return {"two_layer_output": output, "xor_errors": errors, "nn_xor_errors": nn_errors,
            "two_layer_matches": two_layer_matches, "xor_matches": xor_matches,
            "nn_xor_matches": nn_matches}


def tutorial_weights(seed: int, *shapes: tuple[int, int]) -> list[ag.Tensor]:
    """The tutorial's weights: ``np.random.seed(1)``, then ``2 * random(shape) - 1`` in order."""
    np.random.seed(seed)
    return [ag.tensor(2 * np.random.random(shape) - 1, requires_grad=True) for shape in shapes]


def forward(x: np.ndarray, weights: list[ag.Tensor]) -> ag.Tensor:
    """Sigmoid layers without bias: ``l_{k+1} = sigmoid(l_k @ syn_k)``."""
    layer = ag.tensor(x)
    for weight in weights:
        layer = ag.sigmoid(layer @ weight)
    return layer


def train(weights: list[ag.Tensor], y: np.ndarray, steps: int,
          report_every: int | None = None) -> tuple[np.ndarray, list[float]]:
    """Full-batch gradient descent at rate 1 on ``0.5 * sum((y - out)**2)``.

    Returns the output of the last forward pass (computed before the last update, as the
    tutorial prints it) and the mean absolute error every ``report_every`` steps.
    """
    errors = []
    for step in range(steps):
        out = forward(X, weights)
        if report_every and step % report_every == 0:
            errors.append(float(np.mean(np.abs(y - out.numpy()))))
        cost = 0.5 * ((y - out) ** 2).sum()
        cost.backward()
        gradient_descent_step(weights, rate=1.0)
    return out.numpy(), errors


def train_idiomatic(initial_weights: list[ag.Tensor], steps: int) -> list[float]:
    """The three-layer XOR net with nn; reports mean |error| every 10000 steps."""
    model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.Sigmoid(),
                          nn.Linear(4, 1, bias=False), nn.Sigmoid())
    for linear, weight in zip((model[0], model[2]), initial_weights, strict=True):
        linear.weight.data = weight.numpy().T.copy()  # nn.Linear stores (out, in)
    loss_fn = nn.MSELoss(reduction="sum")
    optimizer = nn.optim.SGD(model.parameters(), lr=1.0)
    x, y = ag.tensor(X), ag.tensor(Y_XOR)
    errors = []
    for step in range(steps):
        out = model(x)
        if step % 10000 == 0:
            errors.append(float(np.mean(np.abs(Y_XOR - out.numpy()))))
        optimizer.zero_grad()
        (0.5 * loss_fn(out, y)).backward()
        optimizer.step()
    return errors


def agrees(ours, tutorial, seed: int) -> bool:
    """Print and return whether our numbers equal the tutorial's to ``TOLERANCE``."""
    worst = float(np.max(np.abs(np.asarray(ours) - np.asarray(tutorial))))
    same = worst <= TOLERANCE
    verdict = "the same numbers as the tutorial" if same else "NOT the tutorial's numbers"
    note = "" if seed == 1 or same else " (expected: the tutorial uses seed 1)"
    print(f"  -> {verdict} (largest difference {worst:.1e}){note}")
    return same


if __name__ == "__main__":
    main()
