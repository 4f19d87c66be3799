"""Tutorial 000, "fit a nonlinear function with one hidden ReLU layer", with no derivative by hand.

The tutorial fits ``2 sin(x) + 5`` on x in [-3, 3] with ``Linear(1, n) -> ReLU -> Linear(n, 1)``
and writes each layer's ``backward`` and ``update``. Part 1 keeps its training loop (weights
``randn``, zero biases, loss ``0.5 * mean((y - pred)**2)``, plain SGD at rate 1e-2, the data
shuffled once, 1000 random mini-batches of 100) for n = 5 and n = 100, but the gradients come
from ``loss.backward()``. Part 2 is the tutorial's "library way": ``nn.Sequential``, gaussian
initialisation, SGD with momentum, MSE, and ``nn.fit`` over epochs of mini-batches with a
progress bar. Each run draws the true curve against the prediction before and after training.
Run: ``python examples/sine_regression.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from _common import gradient_descent_step, parse_args, plt, save_figure

import autograd_lite as ag
import nn

X = np.linspace(-3, 3, 1024, dtype=np.float32).reshape(-1, 1)
Y = 2 * np.sin(X) + 5


def main(argv: Sequence[str] | None = None) -> dict:
    """Train the hand-written loop for n = 5 and 100, then the library way; plot each."""
    args = parse_args(__doc__.splitlines()[0], argv, default_seed=1234)
    steps, epochs = (200, 10) if args.quick else (1000, 100)
    errors, figures = {}, []
    for size in (5, 100):
        before, after = train_by_hand(size, steps, args.seed)
        errors[f"hand_{size}_error"] = report(f"hand-written loop, n={size:3d}", before, after)
        figures.append(plot_before_after(before, after, f"{size} hidden units, {steps} SGD steps",
                                         args.out / f"sine_regression_hand_{size}.png"))
    before, after = train_library_way(100, epochs, args.seed)
    errors["library_error"] = report("library way,       n=100", before, after)
    figures.append(plot_before_after(before, after, f"nn.Sequential, momentum SGD, {epochs} epochs",
                                     args.out / "sine_regression_library.png"))
    return {**errors, "figures": figures}


class Linear:
    """The tutorial's layer: ``x @ w + b`` with ``w`` of shape (in, out) drawn from randn."""

    def __init__(self, insize: int, outsize: int) -> None:
        self.w = ag.tensor(np.random.randn(insize, outsize).astype(np.float32),
                           requires_grad=True)
        self.b = ag.zeros(outsize, requires_grad=True)

    def __call__(self, x: ag.Tensor) -> ag.Tensor:
        return x @ self.w + self.b


def train_by_hand(size: int, steps: int, seed: int, batch_size: int = 100,
                  learning_rate: float = 1e-2) -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's ``trainNet``; returns the predictions on X before and after training."""
    np.random.seed(seed)
    layers = [Linear(1, size), ag.relu, Linear(size, 1)]
    net = compose(layers)
    parameters = [t for layer in layers if isinstance(layer, Linear) for t in (layer.w, layer.b)]
    before = predict(net, X)
    shuffled = X[np.random.permutation(len(X))]
    for _ in range(steps):
        start = np.random.randint(0, 1000 - batch_size)
        x = shuffled[start:start + batch_size]
        loss = 0.5 * ((2 * np.sin(x) + 5 - net(ag.tensor(x))) ** 2).mean()
        loss.backward()
        gradient_descent_step(parameters, learning_rate)
    return before, predict(net, X)


def compose(layers: list[Callable]) -> Callable[[ag.Tensor], ag.Tensor]:
    """The tutorial's ``Net``: apply the layers in order."""
    def net(x: ag.Tensor) -> ag.Tensor:
        for layer in layers:
            x = layer(x)
        return x
    return net


def predict(net: Callable, x: np.ndarray) -> np.ndarray:
    """``net`` applied to ``x`` without recording a graph, as a NumPy array."""
    with ag.no_grad():
        return net(ag.tensor(x)).numpy()


def train_library_way(size: int, epochs: int, seed: int, batch_size: int = 100,
                      learning_rate: float = 1e-2) -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's ``trainNetPL``: Sequential, gaussian init, momentum SGD, MSE, epochs."""
    ag.manual_seed(seed)
    model = nn.Sequential(nn.Linear(1, size), nn.ReLU(), nn.Linear(size, 1))
    for layer in (model[0], model[2]):  # "gaussian" init: small normal weights, zero biases
        nn.init.normal_(layer.weight, std=0.1)
        nn.init.zeros_(layer.bias)
    before = nn.predict(model, X).numpy()
    optimizer = nn.optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9)
    history = nn.fit(model, nn.MSELoss(), optimizer, (X, Y), epochs=epochs, metrics=(),
                     batch_size=batch_size, seed=seed)
    for epoch in range(0, epochs, max(1, epochs // 5)):
        print(f"  library way, epoch {epoch + 1:3d}: mean train error "
              f"{history.train_loss[epoch]:.4f}")
    model.eval()
    return before, nn.predict(model, X).numpy()


def report(what: str, before: np.ndarray, after: np.ndarray) -> float:
    """Print the mean squared error on the 1024 points before and after; return the after."""
    error_before, error_after = (float(np.mean((Y - p) ** 2)) for p in (before, after))
    print(f"{what}: mean squared error {error_before:9.3f} before, {error_after:.4f} after")
    return error_after


def plot_before_after(before: np.ndarray, after: np.ndarray, title: str, path: Path) -> str:
    """The tutorial's ``showSubplots``: true values and predictions, before | after."""
    figure, axes = plt.subplots(1, 2, figsize=(10.4, 4.2))
    for ax, prediction, when in zip(axes, (before, after), ("before", "after"), strict=True):
        ax.plot(X, Y, linewidth=5, color="black", label="true values")
        ax.plot(X, prediction, linewidth=2, color="orange", label=f"net {when} training")
        ax.legend()
    figure.suptitle(title)
    return str(save_figure(figure, path))


if __name__ == "__main__":
    main()
