"""Watch tutorial 002's two-moons network learn, live in the browser (``nn.fit(..., live=True)``).

The network of ``moons.py`` as modules: 2 inputs, 3 tanh units, one sigmoid output, binary
cross-entropy, full-batch gradient descent at rate 0.6 on 2000 points. ``fit`` prints a local
URL: open it to see the loss fall, the tanh layer's activations spread and saturate, the
gradients shrink, each parameter's update:data ratio against the 1e-3 guide line, and the
graph of one step coloured by gradient norm (click a layer to unfold it; "step through
backward" walks the gradients in the order backward computes them). The page keeps showing
the last state when training ends; the same page is written to ``live_moons.html``.
Run: ``python examples/live_moons.py [--stay]`` (``--stay``: keep serving until Enter).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from _common import parse_args
from sklearn.datasets import make_moons

import autograd_lite as ag
import nn

ITERATIONS = 3000


def main(argv: Sequence[str] | None = None) -> dict:
    """Train with the live view open; return the history, the URL and the report's path."""
    args = parse_args(__doc__.splitlines()[0], argv, default_seed=0, add_arguments=lambda p:
                      p.add_argument("--stay", action="store_true",
                                     help="keep the page served after training, until Enter"))
    x, y = make_moons(n_samples=2000, noise=0.25, random_state=args.seed)
    x, y = x.astype(np.float64), y.reshape(-1, 1).astype(np.float64)
    ag.manual_seed(args.seed)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.Sigmoid()).to(
        np.float64)
    view = nn.LiveView(stay=args.stay, title="two moons, 2-3-1 tanh/sigmoid")
    report = args.out / "live_moons.html"
    history = nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.6), (x, y),
                     epochs=200 if args.quick else ITERATIONS, batch_size=len(x), shuffle=False,
                     progress=False, live=view, report=report)
    print(f"trained {len(history)} full-batch steps: loss {history.train_loss[-1]:.4f}, "
          f"accuracy {history['train_accuracy'][-1]:.3f}; the live view took "
          f"{view.overhead:.1%} of the time; wrote {report}")
    if args.stay:
        input(f"serving {view.url} -- press Enter to stop ")
        view.close()
    return {"history": history, "url": view.url, "report": report, "overhead": view.overhead}


if __name__ == "__main__":
    main()
