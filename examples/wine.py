"""Tutorial 004, a course lesson on training a network (binary part), with no derivative by hand.

First, logic from hand-set sigmoid weights: AND = sigmoid(-30 + 20 x1 + 20 x2), OR, NOT, and
XNOR as a two-layer network built from them. Then scikit-learn's wine data with class 2
dropped, on two standardised features (alcohol and proline): a 2 -> 3 -> 1 sigmoid network
without bias, with bias, and with two hidden layers, trained by full-batch gradient descent on
the binary log-loss, in the lesson's layout (``Z = W @ A``, examples as columns). The lesson
derives every delta by hand; here ``loss.backward()`` does it. Accuracies are compared with
scikit-learn's LogisticRegression on the same split (the lesson compares with Keras), and the
symmetry problem of zero initialisation is shown with numbers. It draws the 2-3-1 network's
decision boundary over the wine data.
Run: ``python examples/wine.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from _common import gradient_descent_step, parse_args, plot_decision_boundary
from sklearn.linear_model import LogisticRegression

import autograd_lite as ag
import nn

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32).T  # (2, 4): one column each
ARCHITECTURES = {"2-3-1 without bias": ([2, 3, 1], False), "2-3-1 with bias": ([2, 3, 1], True),
                 "2-3-3-1 with bias": ([2, 3, 3, 1], True)}


def main(argv: Sequence[str] | None = None) -> dict:
    """Print the logic tables, train the three wine networks and the baseline, show symmetry."""
    args = parse_args(__doc__.splitlines()[0], argv, default_seed=42)
    iterations = 300 if args.quick else 3000
    logic = logic_gates()

    x_train, x_test, y_train, y_test = wine_split(args.seed)
    networks, scores = {}, {}
    for name, (sizes, bias) in ARCHITECTURES.items():
        params = networks[name] = initialize(sizes, bias, np.random.default_rng(args.seed))
        train(params, x_train, y_train, iterations)
        scores[name] = (accuracy(params, x_train, y_train), accuracy(params, x_test, y_test))
        print(f"{name:20s} train {scores[name][0]:.3f}  test {scores[name][1]:.3f}")
    baseline = LogisticRegression().fit(x_train.T, y_train.ravel())
    scores["logistic regression"] = (baseline.score(x_train.T, y_train.ravel()),
                                     baseline.score(x_test.T, y_test.ravel()))
    print(f"{'LogisticRegression':20s} train {scores['logistic regression'][0]:.3f}  "
          f"test {scores['logistic regression'][1]:.3f}   (scikit-learn, same split)")
    figure = plot_decision_boundary(
        lambda points: probability(networks["2-3-1 with bias"], points.T).ravel(),
        np.concatenate([x_train, x_test], axis=1).T, np.concatenate([y_train, y_test], axis=1)[0],
        args.out / "wine_boundary.png",
        "2-3-1 with bias: $x_1$ alcohol, $x_2$ proline (standardised)")
    hidden_weights = symmetry_of_zero_init(x_train, y_train, iterations)
    return {"logic": logic, **scores, "figure": figure, "zero_init_hidden_weights": hidden_weights}


def logic_gates() -> dict[str, np.ndarray]:
    """AND, OR, NOT x1, (NOT x1) AND (NOT x2), and XNOR from them, on the four inputs."""
    def neuron(bias: float, *weights: float):
        return lambda a: ag.sigmoid(bias + ag.tensor([list(weights)], dtype="float32") @ a)
    gates = {"AND": neuron(-30, 20, 20), "OR": neuron(-10, 20, 20), "NOT x1": neuron(10, -20, 0),
             "NOT x1 AND NOT x2": neuron(10, -20, -20)}
    # XNOR: the hidden layer computes AND and NOR, the output layer ORs them
    gates["XNOR"] = lambda a: gates["OR"](ag.concatenate(
        [gates["AND"](a), gates["NOT x1 AND NOT x2"](a)], axis=0))
    print("x1 x2 | " + " | ".join(gates))
    table = {name: gate(ag.tensor(INPUTS)).numpy().ravel() for name, gate in gates.items()}
    for column, (x1, x2) in enumerate(INPUTS.T.astype(int)):
        print(f" {x1}  {x2} | " + " | ".join(f"{table[name][column]:{len(name)}.3f}"
                                            for name in gates))
    return table


def wine_split(seed: int) -> tuple[np.ndarray, ...]:
    """Wine without class 2, alcohol and proline standardised (training statistics); the
    lesson's layout: X (2, m), y (1, m)."""
    x, y = nn.datasets.wine()
    keep = y != 2
    # columns 0 and 12: alcohol, proline; float64 as in the lesson's NumPy code
    x, y = x[keep][:, [0, 12]].astype(np.float64), y[keep].astype(np.float64)
    x_train, x_test, y_train, y_test = nn.data.train_test_split(x, y, test_size=0.3, seed=seed)
    x_train, mean, std = nn.data.standardize(x_train)
    x_test, _, _ = nn.data.standardize(x_test, mean, std)
    return x_train.T, x_test.T, y_train.reshape(1, -1), y_test.reshape(1, -1)


def initialize(sizes: list[int], bias: bool, rng: np.random.Generator | None
               ) -> list[tuple[ag.Tensor, ag.Tensor | None]]:
    """(W, b) per layer, W of shape (n_out, n_in): standard normal, or zeros when rng is None."""
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        weight = (np.zeros((n_out, n_in)) if rng is None else rng.standard_normal((n_out, n_in)))
        params.append((ag.tensor(weight, requires_grad=True),
                       ag.zeros((n_out, 1), dtype="float64", requires_grad=True) if bias
                       else None))
    return params


def forward(params: list[tuple[ag.Tensor, ag.Tensor | None]], x: np.ndarray) -> ag.Tensor:
    """A_{k+1} = sigmoid(W_k @ A_k (+ b_k)); the last A is the probability of class 1."""
    a = ag.tensor(x)
    for weight, bias in params:
        z = weight @ a
        a = ag.sigmoid(z if bias is None else z + bias)
    return a


def train(params: list, x: np.ndarray, y: np.ndarray, iterations: int,
          learning_rate: float = 1.0) -> float:
    """Full-batch gradient descent on the binary log-loss; return the final loss."""
    tensors = [t for layer in params for t in layer if t is not None]
    for _ in range(iterations):
        probability = forward(params, x)
        loss = -(y * ag.log(probability) + (1 - y) * ag.log(1 - probability)).mean()
        loss.backward()
        gradient_descent_step(tensors, learning_rate)
    return loss.item()


def probability(params: list, x: np.ndarray) -> np.ndarray:
    """The network's probability of class 1 for each column of ``x``, shape (1, m)."""
    with ag.no_grad():
        return forward(params, x).numpy()


def accuracy(params: list, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of the columns of ``x`` whose class (probability > 0.5) is ``y``'s."""
    return float(np.mean((probability(params, x) > 0.5) == (y > 0.5)))


def symmetry_of_zero_init(x: np.ndarray, y: np.ndarray, iterations: int) -> np.ndarray:
    """Train 2-3-1 (with bias) from all-zero weights: the hidden units stay identical."""
    params = initialize([2, 3, 1], True, rng=None)
    train(params, x, y, iterations)
    hidden = params[0][0].numpy()
    print(f"zero initialisation, after {iterations} iterations the three hidden units have "
          f"the weights\n{np.array2string(hidden, precision=4)}\nand the output weights "
          f"{np.array2string(params[1][0].numpy(), precision=4)}: every hidden unit learns the "
          f"same thing (symmetry), so random initialisation is needed")
    return hidden


if __name__ == "__main__":
    main()
