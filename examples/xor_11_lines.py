"""Tutorial 003, "A neural network in 11 lines of Python" (iamtrask), with no derivative by hand.

The tutorial writes the backward pass itself (``l1_delta = l1_error * nonlin(l1, True)``,
``syn0 += l0.T.dot(l1_delta)``). Here the forward pass is the same expression and
``.backward()`` does the rest: the tutorial's update is one gradient-descent step of rate 1 on
the cost ``0.5 * sum((y - l2)**2)``. Same seed, same initialisation, same maths, float64: the
printed numbers are the tutorial's, to 1e-8. The same net written with ``nn`` prints them too.
Draws the mean |error| of the XOR net against the step. Run: ``python examples/xor_11_lines.py``;
``--show-code`` prints the NumPy code ``ag.compile`` generates for one step of the XOR net next
to the tutorial's hand-written lines.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from _common import parse_args, plt, save_figure

import autograd_lite as ag
import nn

X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64)
Y_FIRST_COLUMN = np.array([[0, 0, 1, 1]], dtype=np.float64).T
Y_XOR = np.array([[0, 1, 1, 0]], dtype=np.float64).T

TUTORIAL_TWO_LAYER_OUTPUT = [[0.00966449], [0.00786506], [0.99358898], [0.99211957]]
TUTORIAL_XOR_ERRORS = [0.496410031903, 0.00858452565325, 0.00578945986251, 0.00462917677677,
                       0.00395876528027, 0.00351012256786]
TOLERANCE = 1e-8  # the tutorial prints 8 to 12 significant digits


def two_layer_net(steps: int = 10000, seed: int = 1) -> np.ndarray:
    """The tutorial's first network: one sigmoid layer, 3 inputs -> 1 output."""
    np.random.seed(seed)
    syn0 = ag.tensor(2 * np.random.random((3, 1)) - 1, requires_grad=True)
    for _ in range(steps):
        l1 = ag.sigmoid(X @ syn0)
        (0.5 * ((Y_FIRST_COLUMN - l1) ** 2).sum()).backward()
        with ag.no_grad():
            syn0 -= syn0.grad
        syn0.grad = None
    return l1.numpy()


def three_layer_net(steps: int = 60000, seed: int = 1) -> list[float]:
    """The tutorial's XOR network, 3 -> 4 -> 1; returns the mean |error| of every step."""
    np.random.seed(seed)
    syn0 = ag.tensor(2 * np.random.random((3, 4)) - 1, requires_grad=True)
    syn1 = ag.tensor(2 * np.random.random((4, 1)) - 1, requires_grad=True)
    errors = []
    for _ in range(steps):
        l1 = ag.sigmoid(X @ syn0)
        l2 = ag.sigmoid(l1 @ syn1)
        errors.append(float(np.mean(np.abs(Y_XOR - l2.numpy()))))
        (0.5 * ((Y_XOR - l2) ** 2).sum()).backward()
        with ag.no_grad():
            syn0 -= syn0.grad
            syn1 -= syn1.grad
        syn0.grad = syn1.grad = None
    return errors


def three_layer_net_with_nn(steps: int = 60000, seed: int = 1) -> list[float]:
    """The same XOR network with ``nn`` modules, started from the tutorial's weights."""
    np.random.seed(seed)
    model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.Sigmoid(),
                          nn.Linear(4, 1, bias=False), nn.Sigmoid())
    model.to(np.float64)
    with ag.no_grad():
        for linear, shape in zip((model[0], model[2]), [(3, 4), (4, 1)]):
            linear.weight.copy_((2 * np.random.random(shape) - 1).T)  # Linear stores (out, in)
    loss_fn = nn.MSELoss(reduction="sum")
    optimizer = nn.optim.SGD(model.parameters(), lr=1.0)
    x, y = ag.tensor(X), ag.tensor(Y_XOR)
    errors = []
    for _ in range(steps):
        out = model(x)
        errors.append(float(np.mean(np.abs(Y_XOR - out.numpy()))))
        optimizer.zero_grad()
        (0.5 * loss_fn(out, y)).backward()
        optimizer.step()
    return errors


TUTORIAL_LINES = """\
l1 = nonlin(np.dot(l0, syn0))
l2 = nonlin(np.dot(l1, syn1))
l2_error = y - l2
l2_delta = l2_error * nonlin(l2, deriv=True)
l1_error = l2_delta.dot(syn1.T)
l1_delta = l1_error * nonlin(l1, deriv=True)
syn1 += l1.T.dot(l2_delta)
syn0 += l0.T.dot(l1_delta)"""


def compiled_step_code(seed: int = 1) -> str:
    """The code ``ag.compile`` generates for one training step of the XOR network."""
    np.random.seed(seed)
    syn0 = ag.tensor(2 * np.random.random((3, 4)) - 1, requires_grad=True)
    syn1 = ag.tensor(2 * np.random.random((4, 1)) - 1, requires_grad=True)

    def step(l0, y):
        l1 = ag.sigmoid(l0 @ syn0)
        l2 = ag.sigmoid(l1 @ syn1)
        loss = 0.5 * ((y - l2) ** 2).sum()
        loss.backward()
        with ag.no_grad():
            syn0.sub_(syn0.grad)
            syn1.sub_(syn1.grad)
        syn0.grad = syn1.grad = None
        return loss

    compiled = ag.compile(step)
    compiled(ag.tensor(X), ag.tensor(Y_XOR))
    return compiled.code


def main(argv: Sequence[str] | None = None) -> dict:
    """Train the tutorial's networks, print their numbers next to the tutorial's, draw a plot."""
    args = parse_args(__doc__.splitlines()[0], argv, default_seed=1, add_arguments=lambda p:
                      p.add_argument("--show-code", action="store_true",
                                     help="print the code ag.compile generates for a step"))
    if args.show_code:
        code = compiled_step_code(args.seed)
        print("the tutorial's hand-written step:\n" + TUTORIAL_LINES)
        print("\nthe step ag.compile generates from the forward pass alone:\n" + code)
        return {"code": code}

    output = two_layer_net(seed=args.seed)
    print("two layers, output after training (tutorial: 0.00966449 0.00786506 0.99358898 "
          "0.99211957):")
    print(output)
    agrees(output, TUTORIAL_TWO_LAYER_OUTPUT, args.seed)

    errors = three_layer_net(seed=args.seed)
    reported = errors[::10000]  # the tutorial prints every 10000th step
    for error, expected in zip(reported, TUTORIAL_XOR_ERRORS, strict=True):
        print(f"three layers (XOR), Error:{error:.12f}   tutorial: {expected:.12f}")
    agrees(reported, TUTORIAL_XOR_ERRORS, args.seed)

    steps = 10001 if args.quick else 60000  # --quick: the first two reports only
    nn_reported = three_layer_net_with_nn(steps, args.seed)[::10000]
    print("the idiomatic nn way, Error: " + ", ".join(f"{e:.12f}" for e in nn_reported))
    agrees(nn_reported, TUTORIAL_XOR_ERRORS[:len(nn_reported)], args.seed)

    figure = plot_errors(errors, args.out / "xor_error.png")
    return {"two_layer_output": output, "xor_errors": reported, "nn_xor_errors": nn_reported,
            "figure": figure}


def plot_errors(errors: list[float], path) -> object:
    """The XOR net's mean |error| against the step, on log axes, with the tutorial's reports."""
    figure, ax = plt.subplots(figsize=(6, 3.5))
    ax.loglog(np.arange(1, len(errors) + 1), errors, label="autograd_lite, every step")
    ax.plot(np.arange(len(TUTORIAL_XOR_ERRORS)) * 10000 + 1, TUTORIAL_XOR_ERRORS, "o",
            label="the tutorial's printed errors")
    ax.set(xlabel="step", ylabel="mean |error|", title="XOR, 3-4-1 sigmoid net, rate 1")
    ax.legend()
    return save_figure(figure, path)


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
