"""Tutorial 002, "a two-layer neural network from scratch" on two moons, with no derivative by hand.

The tutorial's network, in its column layout (features x examples): ``Z1 = W1 @ X + b1``,
``A1 = g(Z1)`` with g in {tanh, sigmoid, relu}, ``A2 = sigmoid(W2 @ A1 + b2)``, binary
cross-entropy averaged over the examples; weights ``randn * 0.01`` after a fixed seed, zero
biases, full-batch gradient descent. Its ``backward_propagation`` (dZ2 = A2 - Y, ...) is
replaced by ``cost.backward()``.

By default: train the configuration the tutorial chooses (n_h = 3, tanh, rate 0.6, 10000
iterations) on 2000 points and test it on a fresh set of 500 (the tutorial reports 93.6 %).
``--sweep`` runs the tutorial's grid of hyper-parameters (a small grid with ``--quick``; the full
grid trains 105 networks for up to 100000 iterations and takes a long while), writes a CSV and
two plots, filters the configurations as the tutorial does. The chosen parameters are saved to
an npz file (``nn.save``) and loaded back (``nn.load``) before the final test.
Run: ``python examples/moons.py [--sweep]``.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from _common import gradient_descent_step, parse_args, plot_decision_boundary, plt, save_figure
from sklearn.datasets import make_moons

import autograd_lite as ag
import nn

CHOSEN = {"n_h": 3, "activation": "tanh", "learning_rate": 0.6, "iterations": 10000}
GRID = {"n_h": [1, 2, 3, 4, 5, 10, 50], "activation": ["tanh", "sigmoid", "relu"],
        "learning_rate": [1.2, 0.6, 0.1, 0.01, 0.001], "iterations": [100, 1000, 10000, 100000]}
QUICK_GRID = {"n_h": [1, 3], "activation": ["tanh", "relu"], "learning_rate": [0.6, 0.01],
              "iterations": [100, 1000]}
ACTIVATIONS = {"tanh": ag.tanh, "sigmoid": ag.sigmoid, "relu": ag.relu}
COLOURS = {"tanh": "C0", "sigmoid": "C1", "relu": "C2"}  # one colour per activation in every plot
NOISE = 0.25


def main(argv: Sequence[str] | None = None) -> dict:
    """Train the chosen network (or sweep the grid), test it on fresh data, draw the pictures."""
    args = parse_args(__doc__.splitlines()[0], argv, default_seed=0, add_arguments=lambda p:
                      p.add_argument("--sweep", action="store_true",
                                     help="run the tutorial's hyper-parameter grid"))
    x, y = load_data(2000, args.seed)
    x_new, y_new = load_data(500, args.seed + 1)
    data_figure = plot_data(x, y, args.out / "moons_data.png")

    config = dict(CHOSEN, iterations=3000) if args.quick else dict(CHOSEN)
    sweep_csv = None
    if args.sweep:
        config, sweep_csv = sweep(x, y, QUICK_GRID if args.quick else GRID, args)
    params, _ = train(x, y, **config, seed=args.seed)

    saved = save_parameters(params, args.out / "moons_parameters.npz")
    params = nn.load(saved)
    accuracy = compute_accuracy(y_new, predict(x_new, params, config["activation"]))
    print(f"chosen {describe(config)}: accuracy on a fresh set of 500 points {accuracy} % "
          f"(tutorial: 93.6 % for n_h=3 tanh lr=0.6 10000 iterations)")
    boundary_figure = plot_decision_boundary(
        lambda points: forward(points.T, params, config["activation"]).numpy().ravel(),
        x_new.T, y_new.ravel(), args.out / "moons_boundary.png",
        f"{describe(config)}: {accuracy} % on new data")
    return {"figures": [data_figure, boundary_figure], "sweep_csv": sweep_csv, "config": config,
            "accuracy": accuracy, "parameters_file": saved}


def load_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's two moons in the tutorial's layout: X (2, n) and Y (1, n), float64."""
    x, y = make_moons(n_samples=n, noise=NOISE, random_state=seed)
    return x.T.astype(np.float64), y.reshape(1, n).astype(np.float64)


def initialize_parameters(n_x: int, n_h: int, n_y: int, seed: int) -> dict[str, ag.Tensor]:
    """``randn * 0.01`` weights after ``np.random.seed(seed)``, zero biases."""
    rng = np.random.RandomState(seed)
    shapes = {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}
    return {name: ag.tensor(rng.randn(*shape) * 0.01 if name[0] == "W" else np.zeros(shape),
                            requires_grad=True)
            for name, shape in shapes.items()}


def forward(x: np.ndarray, params: dict[str, ag.Tensor], activation: str) -> ag.Tensor:
    """A2 = sigmoid(W2 @ g(W1 @ X + b1) + b2), shape (1, m)."""
    a1 = ACTIVATIONS[activation](params["W1"] @ x + params["b1"])
    return ag.sigmoid(params["W2"] @ a1 + params["b2"])


def compute_cost(a2: ag.Tensor, y: np.ndarray) -> ag.Tensor:
    """Binary cross-entropy averaged over the m examples."""
    log_probs = y * ag.log(a2) + (1 - y) * ag.log(1 - a2)
    return -log_probs.sum() / y.shape[1]


def train(x: np.ndarray, y: np.ndarray, n_h: int, activation: str, learning_rate: float,
          iterations: int, seed: int, checkpoints: Sequence[int] = (),
          x_dev: np.ndarray | None = None, y_dev: np.ndarray | None = None
          ) -> tuple[dict[str, ag.Tensor], list[dict]]:
    """Full-batch gradient descent; returns the parameters and, at each checkpoint iteration
    count, the train/dev accuracy and the training time so far."""
    params = initialize_parameters(x.shape[0], n_h, y.shape[0], seed)
    reports, elapsed = [], 0.0
    for i in range(1, iterations + 1):
        start = time.perf_counter()
        cost = compute_cost(forward(x, params, activation), y)
        cost.backward()
        gradient_descent_step(params.values(), learning_rate)
        elapsed += time.perf_counter() - start
        if i in checkpoints:
            reports.append({"iterations": i, "time_s": round(elapsed, 3),
                            "train_accuracy": compute_accuracy(y, predict(x, params, activation)),
                            "dev_accuracy": compute_accuracy(
                                y_dev, predict(x_dev, params, activation))})
    return params, reports


def predict(x: np.ndarray, params: dict[str, ag.Tensor], activation: str) -> np.ndarray:
    """Class 1 where A2 > 0.5."""
    with ag.no_grad():
        return (forward(x, params, activation).numpy() > 0.5).astype(np.float64)


def compute_accuracy(y: np.ndarray, y_hat: np.ndarray) -> float:
    """Percentage of correct predictions, rounded to 2 decimals as in the tutorial."""
    return round(float(np.mean(y == y_hat) * 100), 2)


def describe(config: dict) -> str:
    """One line naming a configuration, e.g. ``n_h=3 tanh lr=0.6 10000 iterations``."""
    return (f"n_h={config['n_h']} {config['activation']} lr={config['learning_rate']} "
            f"{config['iterations']} iterations")


def sweep(x: np.ndarray, y: np.ndarray, grid: dict, args) -> tuple[dict, Path]:
    """Train every configuration of ``grid``; write the CSV and plots; return the pick.

    Training for 1000 iterations is the first 1000 of training for 10000 from the same start,
    so one run per (n_h, activation, rate) to the largest count gives every count, and its
    time at each count is the training time of that configuration.
    """
    split = int(0.8 * x.shape[1])
    x_train, y_train, x_dev, y_dev = x[:, :split], y[:, :split], x[:, split:], y[:, split:]
    rows = []
    for n_h in grid["n_h"]:
        for activation in grid["activation"]:
            for rate in grid["learning_rate"]:
                _, reports = train(x_train, y_train, n_h, activation, rate,
                                   max(grid["iterations"]), args.seed, grid["iterations"],
                                   x_dev, y_dev)
                rows += [{"n_h": n_h, "activation": activation, "learning_rate": rate, **r}
                         for r in reports]
                print(f"  n_h={n_h:2d} {activation:7s} lr={rate:<5} " + "  ".join(
                    f"{r['iterations']}: {r['dev_accuracy']:.1f} %" for r in reports))
    path = write_csv(rows, args.out / "moons_sweep.csv")
    plot_sweep(rows, args.out)
    return choose(rows), path


def choose(rows: list[dict]) -> dict:
    """The tutorial's filter: train accuracy > 95 % and a train/dev gap < 1 %, then the
    fastest; if nothing passes, the best dev accuracy."""
    passing = [r for r in rows if r["train_accuracy"] > 95
               and abs(r["train_accuracy"] - r["dev_accuracy"]) < 1]
    print(f"{len(passing)} of {len(rows)} configurations pass the filter "
          f"(train > 95 %, |train - dev| < 1 %)")
    best = (min(passing, key=lambda r: r["time_s"]) if passing
            else max(rows, key=lambda r: r["dev_accuracy"]))
    return {key: best[key] for key in CHOSEN}


def write_csv(rows: list[dict], path: Path) -> Path:
    """One CSV row per (configuration, iteration count); print and return the path."""
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {path}")
    return path


def plot_sweep(rows: list[dict], out: Path) -> None:
    """Dev accuracy of every configuration as a labelled grid, and accuracy against time.

    The grid has one row per (n_h, activation) and one column per (rate, iterations), so each
    cell's configuration reads off its row and column labels, and its accuracy is written in it.
    """
    activations = [a for a in COLOURS if any(r["activation"] == a for r in rows)]
    row_keys = list(dict.fromkeys((r["n_h"], r["activation"]) for r in rows))
    column_keys = list(dict.fromkeys((r["learning_rate"], r["iterations"]) for r in rows))
    accuracy = np.full((len(row_keys), len(column_keys)), np.nan)
    for r in rows:
        accuracy[row_keys.index((r["n_h"], r["activation"])),
                 column_keys.index((r["learning_rate"], r["iterations"]))] = r["dev_accuracy"]
    figure, ax = plt.subplots(figsize=(2 + 0.75 * len(column_keys), 1.5 + 0.3 * len(row_keys)))
    image = ax.imshow(accuracy, cmap="viridis", vmin=50, vmax=100, aspect="auto")
    for (i, j), value in np.ndenumerate(accuracy):
        ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=7,
                color="black" if value > 80 else "white")
    ax.set_xticks(range(len(column_keys)),
                  [f"lr={rate}\n{iterations} it." for rate, iterations in column_keys],
                  fontsize=7)
    ax.set_yticks(range(len(row_keys)), [f"n_h={n_h} {act}" for n_h, act in row_keys],
                  fontsize=7)
    for label, (_, activation) in zip(ax.get_yticklabels(), row_keys):
        label.set_color(COLOURS[activation])
    figure.colorbar(image, ax=ax, label="dev accuracy, %")
    ax.set(title="dev accuracy of every configuration (%)",
           xlabel="learning rate, iterations", ylabel="hidden units, activation")
    save_figure(figure, out / "moons_sweep_accuracy.png")
    figure, ax = plt.subplots(figsize=(6, 4))
    for activation in activations:
        chosen = [r for r in rows if r["activation"] == activation]
        ax.scatter([r["time_s"] for r in chosen], [r["dev_accuracy"] for r in chosen],
                   label=activation, s=14, color=COLOURS[activation])
    ax.set(title="accuracy vs training time", xlabel="training time, s", xscale="log",
           ylabel="dev accuracy, %")
    ax.legend()
    save_figure(figure, out / "moons_sweep_time.png")


def save_parameters(params: dict[str, ag.Tensor], path: Path) -> Path:
    """Write the parameters to an npz file (the tutorial pickles them; we never use pickle)."""
    nn.save(params, path)
    print(f"wrote {path}")
    return path


def plot_data(x: np.ndarray, y: np.ndarray, path: Path) -> Path:
    """The tutorial's first picture: the two moons, coloured by class."""
    figure, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.scatter(x[0], x[1], c=y.ravel(), cmap="RdBu", edgecolors="black", linewidths=0.3, s=12)
    ax.set(title=f"make_moons: {x.shape[1]} points, noise {NOISE}", xlabel="$x_1$",
           ylabel="$x_2$")
    return save_figure(figure, path)


if __name__ == "__main__":
    main()
