"""What every example shares: the command line (--quick, --out, --seed), figures, a GD step.

Figures are drawn with matplotlib's Agg backend, so the examples run without a display.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")  # before pyplot is imported: draw to files, never to a window

import matplotlib.pyplot as plt  # noqa: E402 - must follow the backend choice

import autograd_lite as ag  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "out"


def parse_args(description: str, argv: Sequence[str] | None, default_seed: int = 0,
               add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
               ) -> argparse.Namespace:
    """Parse the options every example has, plus any that ``add_arguments`` declares.

    ``--quick`` asks for small sizes (used by the tests), ``--out DIR`` says where figures go
    (created if missing), ``--seed`` makes the run reproducible.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes: a fast smoke run (the tests use it)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder for figures and files (default: {DEFAULT_OUT})")
    parser.add_argument("--seed", type=int, default=default_seed, help="random seed")
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def save_figure(figure: plt.Figure, path: Path) -> Path:
    """Write ``figure`` to ``path`` (PNG), close it, print and return the path."""
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"wrote {path}")
    return path


def plot_decision_boundary(probability: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                           y: np.ndarray, path: Path, title: str) -> Path:
    """Colour the plane by ``probability(points)`` (class 1), draw the data; save to ``path``.

    ``x`` has shape (n, 2), ``y`` holds 0/1 labels of shape (n,); ``probability`` maps an
    (m, 2) array of points to m probabilities.
    """
    low, high = x.min(axis=0) - 0.5, x.max(axis=0) + 0.5
    grid_x, grid_y = np.meshgrid(np.linspace(low[0], high[0], 200),
                                 np.linspace(low[1], high[1], 200))
    points = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype(x.dtype)
    surface = np.asarray(probability(points)).reshape(grid_x.shape)
    figure, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.contourf(grid_x, grid_y, surface, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.6)
    ax.contour(grid_x, grid_y, surface, levels=[0.5], colors="black", linewidths=1)
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap="RdBu", edgecolors="black", linewidths=0.3, s=12)
    ax.set_title(title, fontsize=10)
    ax.set(xlabel="$x_1$", ylabel="$x_2$")
    return save_figure(figure, path)


def gradient_descent_step(tensors: Iterable[ag.Tensor], rate: float) -> None:
    """The tutorials' update ``W -= rate * dW`` for each tensor, then clear its gradient.

    This is what ``nn.optim.SGD(params, lr=rate)`` does with ``step()`` and ``zero_grad()``;
    the hand-written examples keep it visible, as their tutorials do.
    """
    for tensor in tensors:
        tensor.data -= rate * tensor.grad.numpy()
        tensor.zero_grad()
