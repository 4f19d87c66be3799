"""autograd_lite in one minute: a small network learns two moons (what ``make demo`` runs).

It builds an MLP from ``nn`` layers, trains it with ``nn.fit`` (a progress bar per epoch),
prints the test accuracy, and writes three pictures: the loss curve, the decision boundary and
the computation graph of one training step (grouped by module, coloured by gradient size).
No derivative is written anywhere: ``loss.backward()`` differentiates the graph.
Run: ``python examples/quickstart.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from _common import parse_args, plot_decision_boundary

import autograd_lite as ag
import nn


def main(argv: Sequence[str] | None = None) -> dict:
    """Train, evaluate, draw; return the accuracy and the paths of the pictures."""
    args = parse_args(__doc__.splitlines()[0], argv, default_seed=0)
    ag.manual_seed(args.seed)
    x, y = nn.datasets.moons(n=400 if args.quick else 1000, noise=0.2, seed=args.seed)
    y = y.reshape(-1, 1).astype(np.float32)
    x_train, x_test, y_train, y_test = nn.data.train_test_split(x, y, test_size=0.25,
                                                                seed=args.seed)

    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(),
                          nn.Linear(16, 1), nn.Sigmoid())
    loss_fn = nn.BCELoss()
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    history = nn.fit(model, loss_fn, optimizer, (x_train, y_train), epochs=20 if args.quick
                     else 60, val_data=(x_test, y_test), batch_size=32, seed=args.seed)

    accuracy = history["val_accuracy"][-1]
    print(f"{model}\ntest accuracy after {len(history.train_loss)} epochs: {accuracy:.1%} "
          f"({len(x_test)} points the model never saw)")
    pictures = {
        "loss curve": history.plot(str(args.out / "quickstart_loss.png")),
        "decision boundary": plot_decision_boundary(
            lambda points: nn.predict(model, points).numpy().ravel(), x_test, y_test.ravel(),
            args.out / "quickstart_boundary.png", f"test accuracy {accuracy:.1%}"),
        "computation graph": draw_one_step(model, loss_fn, x_train[:4], y_train[:4],
                                           args.out / "quickstart_graph.png"),
    }
    for what, path in pictures.items():
        print(f"{what:18s} -> {path}")
    return {"accuracy": accuracy, "history": history, "pictures": pictures}


def draw_one_step(model: nn.Module, loss_fn: nn.Module, x: np.ndarray, y: np.ndarray,
                  path) -> str:
    """Run forward and backward on a few points and draw that graph with its gradients."""
    model.zero_grad()
    loss = loss_fn(model(ag.tensor(x)), ag.tensor(y))
    loss.backward(retain_graph=True)  # keep the saved values so the drawing can show them
    return str(ag.save_graph(loss, path, params=model))


if __name__ == "__main__":
    main()
