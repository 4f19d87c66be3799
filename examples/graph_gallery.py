"""A gallery of computation graphs drawn with ``ag.draw_graph``: see what backward() does.

1. micrograd's neuron (Karpathy, "The spelled-out intro to neural networks and backpropagation:
   building micrograd"): o = tanh(x1*w1 + x2*w2 + b), with every value and gradient written on
   its node. The lecture finds x1.grad = -1.5, w1.grad = 1, x2.grad = 0.5, w2.grad = 0.
2. A two-layer MLP's loss, grouped by module (each nn.Module call is a cluster), and the same
   graph folded to one box per layer (``depth=2``).
3. The same MLP after backward: nodes and edges coloured by log10 of the gradient norm.
4. A deep sigmoid network: the colours darken layer by layer as the gradients vanish.

Run: ``python examples/graph_gallery.py [--quick] [--out DIR] [--seed N]``. Pictures are PNG when
Graphviz's ``dot`` is installed (``make demo`` installs it), DOT text otherwise.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _common import parse_args

import autograd_lite as ag
import nn


def main(argv: Sequence[str] | None = None) -> dict[str, Path]:
    """Draw the four pictures into ``--out`` and return their paths by name."""
    args = parse_args(__doc__.splitlines()[0], argv)
    ag.manual_seed(args.seed)
    extension = ".png" if shutil.which("dot") else ".dot"
    if extension == ".dot":
        print("Graphviz's dot program is missing, so the pictures are written as DOT text.")
    pictures = {}
    pictures["neuron"] = draw_neuron(args.out / f"graph_neuron{extension}")
    model, loss_fn = two_layer_mlp()
    pictures.update(draw_mlp(model, loss_fn, args.out, extension))
    depth = 5 if args.quick else 8
    pictures["vanishing"] = draw_vanishing_gradients(
        depth, args.out / f"graph_vanishing{extension}")
    return pictures


def save(outputs: Any, path: Path, **options: Any) -> Path:
    """``ag.save_graph(outputs, path, **options)``, then print and return the path."""
    ag.save_graph(outputs, path, **options)
    print(f"wrote {path}")
    return path


def draw_neuron(path: Path) -> Path:
    """micrograd's neuron, values and gradients on every node (capture_grads keeps them)."""
    x1, x2, w1, w2, b = (ag.tensor(value, requires_grad=True, name=name) for name, value in
                         [("x1", 2.0), ("x2", 0.0), ("w1", -3.0), ("w2", 1.0),
                          ("b", 6.8813735870195432)])
    with ag.capture_grads():
        n = x1 * w1 + x2 * w2 + b
        n.name = "n"
        o = n.tanh()
        o.name = "o"
    o.backward(retain_graph=True)
    print(f"neuron: o = {o.item():.4f} (lecture: 0.7071)")
    print("  gradients: " + ", ".join(f"{t.name}.grad = {t.grad.item():.4g}"
                                      for t in (x1, w1, x2, w2, b)))
    print("  (lecture: x1.grad = -1.5, w1.grad = 1, x2.grad = 0.5, w2.grad = 0, b.grad = 0.5)")
    return save(o, path, rankdir="LR")


class MLP(nn.Module):
    """Two layers, named so that the graph shows ``layers.0: Linear`` and friends."""

    def __init__(self, sizes: Sequence[int], activation: type[nn.Module]) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            blocks += [nn.Linear(fan_in, fan_out), activation()]
        self.layers = nn.Sequential(*blocks[:-1])  # no activation after the last layer

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        return self.layers(x)


def two_layer_mlp() -> tuple[MLP, nn.Module]:
    """A 2-3-1 tanh MLP and the MSE loss it is drawn with."""
    return MLP([2, 3, 1], nn.Tanh), nn.MSELoss()


def batch(rows: int, features: int) -> tuple[ag.Tensor, ag.Tensor]:
    """Random inputs ``x`` (rows, features) and targets ``y`` = sign of x's first column."""
    x = ag.randn(rows, features)
    x.name = "x"
    y = ag.tensor(np.sign(x.numpy()[:, :1]))
    y.name = "y"
    return x, y


def draw_mlp(model: MLP, loss_fn: nn.Module, out: Path, extension: str) -> dict[str, Path]:
    """The MLP's loss graph grouped by module, folded per layer, then coloured by gradient."""
    x, y = batch(2, 2)
    with ag.capture_grads():
        loss = loss_fn(model(x), y)
    pictures = {"mlp_modules": save(loss, out / f"graph_mlp_modules{extension}", params=model),
                "mlp_folded": save(loss, out / f"graph_mlp_folded{extension}", params=model,
                                   depth=2)}
    loss.backward(retain_graph=True)
    print(f"two-layer MLP: loss = {loss.item():.4f}; gradient norms: " + ", ".join(
        f"{name} {np.linalg.norm(p.grad.numpy()):.3g}" for name, p in model.named_parameters()))
    pictures["mlp_gradients"] = save(loss, out / f"graph_mlp_gradients{extension}",
                                     params=model)
    return pictures


class SigmoidLayer(nn.Module):
    """sigmoid(x @ W.T + b): one box in the folded drawing of the deep network."""

    def __init__(self, fan_in: int, fan_out: int) -> None:
        super().__init__()
        self.linear = nn.Linear(fan_in, fan_out)

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        return self.linear(x).sigmoid()


def draw_vanishing_gradients(layers: int, path: Path) -> Path:
    """A deep sigmoid stack, one box per layer: darker = smaller gradient, decade by decade."""
    model = nn.Sequential(*[SigmoidLayer(4, 4) for _ in range(layers - 1)], nn.Linear(4, 1))
    x, y = batch(8, 4)
    with ag.capture_grads():
        loss = nn.MSELoss()(model(x), y)
    loss.backward(retain_graph=True)
    print(f"{layers}-layer sigmoid network: weight gradient norms, first layer to last:")
    for name, p in model.named_parameters():
        if name.endswith("weight"):
            norm = float(np.linalg.norm(p.grad.numpy()))
            print(f"  {name:<16} {norm:9.2e}  (log10 {math.log10(norm):5.1f})")
    return save(loss, path, params=model, depth=1, rankdir="LR", show_values=False)


if __name__ == "__main__":
    main()
