"""Tutorial 001, the Q&A thread "my backprop doesn't learn sin(x)", with no derivative by hand.

The answer's ``Neuralnet([1, 6, 1])``: tanh or sigmoid layers with a bias neuron (a column of
ones joined to each layer's input), weights uniform in [-0.12, 0.12], targets rescaled into the
activation's range and back after prediction. It is trained on noisy sin(x), x in [0, 4 pi]:
offline (full batch, 1000 points, 20000 iterations, rate 0.5) and online (one random sample per
step, 100000 steps, rate 0.2), plotting the cost to see it fall. Then the question's smaller
tasks: XOR with targets +-1 and the identity-like tanh(x). (A full run takes about a minute.)

The thread's ``backpropagate`` is replaced by ``.backward()`` on the cost it plots,
``sum((Y - H)**2) / (2 m)``. Run: ``python examples/sine_online_offline.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from _common import gradient_descent_step, parse_args, plt, save_figure

import autograd_lite as ag

NOISE = 0.1  # the thread's kx: targets are sin(x) + uniform noise in [-kx, kx]
INIT_RANGE = 0.12  # weights uniform in [-eps, eps]
X_RANGE = (0.0, 4 * np.pi)
ACTIVATIONS = {"sigmoid": ag.sigmoid, "tanh": ag.tanh}


def main(argv: Sequence[str] | None = None) -> dict:
    """Train the [1, 6, 1] sigmoid and tanh networks offline and online; XOR; tanh(x)."""
    args = parse_args(__doc__.splitlines()[0], argv, default_seed=0)
    rng = np.random.default_rng(args.seed)
    offline_steps, online_steps, xor_steps, identity_steps = (
        (1000, 5000, 1000, 2000) if args.quick else (20000, 100000, 2000, 10000))
    nets, curves, errors = {}, {}, {}
    # the thread trains both activations offline, and online the sigmoid net it settles on
    runs = [("sigmoid", "offline"), ("tanh", "offline"), ("sigmoid", "online")]
    for activation, method in runs:
        train, steps = ((train_offline, offline_steps) if method == "offline"
                        else (train_online, online_steps))
        net = nets[activation, method] = Net([1, 6, 1], activation, rng)
        curves[activation, method] = train(net, rng, steps)
        errors[activation, method] = sine_error(net)
        print(f"{activation:7s} {method:7s} {steps:6d} steps: final cost "
              f"{curves[activation, method][1][-1]:.4f}, mean |prediction - sin x| on 40 "
              f"new points {errors[activation, method]:.3f}")
    xor_outputs = xor_example(rng, xor_steps)
    identity_output = identity_example(rng, identity_steps)
    figures = [plot_costs(curves, args.out), plot_fits(nets, args.out)]
    return {**{f"{activation}_{method}_error": error
               for (activation, method), error in errors.items()},
            "xor_outputs": xor_outputs, "identity_output": identity_output,
            "costs": {f"{activation}_{method}": cost
                      for (activation, method), (_, cost) in curves.items()},
            "figures": figures}


class Net:
    """The thread's ``Neuralnet``: ``weights[i]`` has shape (n_out, 1 + n_in), column 0 the bias."""

    def __init__(self, neurons: list[int], activation: str, rng: np.random.Generator) -> None:
        self.activation = ACTIVATIONS[activation]
        # (activation(z) mapped into [0, 1]) = sigmoid(slope * z): (tanh z + 1) / 2 = sigmoid(2 z)
        self.slope = 1.0 if activation == "sigmoid" else 2.0
        self.weights = [
            ag.tensor(rng.uniform(-INIT_RANGE, INIT_RANGE, size=(n_out, 1 + n_in)),
                      requires_grad=True)
            for n_in, n_out in zip(neurons[:-1], neurons[1:], strict=True)]

    def logits(self, x: np.ndarray) -> ag.Tensor:
        """The output layer's input z (before its activation), shape (m, n_out)."""
        layer = ag.tensor(x)
        for depth, weight in enumerate(self.weights):
            if depth:
                layer = self.activation(layer)
            with_bias = ag.concatenate([ag.ones((layer.shape[0], 1), dtype=x.dtype), layer],
                                       axis=1)
            layer = with_bias @ weight.T
        return layer

    def __call__(self, x: np.ndarray) -> ag.Tensor:
        return self.activation(self.logits(x))

    def scale(self, y: np.ndarray) -> np.ndarray:
        """Map targets in [-(1 + kx), 1 + kx] into the activation's range."""
        return self.to_unit_range(y / (1 + NOISE)) if self.slope == 1 else y / (1 + NOISE)

    def unscale(self, h: np.ndarray) -> np.ndarray:
        """Map outputs back from the activation's range to the targets' units."""
        return (2 * h - 1 if self.slope == 1 else h) * (1 + NOISE)

    def to_unit_range(self, v: Any) -> Any:
        """Map values in tanh's range [-1, 1] into [0, 1]."""
        return (v + 1) / 2

    def step(self, x: np.ndarray, y_scaled: np.ndarray, rate: float) -> float:
        """One gradient-descent step; return the thread's cost ``sum((Y - H)**2) / (2 m)``.

        The thread's backward pass starts from ``error = H - Y`` at the output, without the
        activation's derivative: that is the gradient (in z) of the cross-entropy between the
        output and the target, both mapped into [0, 1], where the output is
        ``sigmoid(slope * z)``. So that is the cost we differentiate, written from z so that it
        never takes log(0).
        """
        z = self.logits(x)
        output = self.activation(z.detach()).numpy()
        unit_target = y_scaled if self.slope == 1 else self.to_unit_range(y_scaled)
        cross_entropy = (ag.softplus(self.slope * z) - unit_target * self.slope * z).sum() / len(x)
        cross_entropy.backward()
        gradient_descent_step(self.weights, rate)
        return float(np.sum((y_scaled - output) ** 2) / (2 * len(x)))


def noisy_sine(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """sin(x) plus uniform noise in [-kx, kx], as the thread makes its targets."""
    return np.sin(x) + (2.0 * rng.uniform(0, NOISE, x.shape) - NOISE)


def train_offline(net: Net, rng: np.random.Generator, steps: int,
                  rate: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Full batch: 1000 evenly spaced points; return (iteration, cost) for every iteration."""
    x = np.linspace(*X_RANGE, num=1000).reshape(-1, 1)
    y_scaled = net.scale(noisy_sine(x, rng))
    costs = [net.step(x, y_scaled, rate) for _ in range(steps)]
    return np.arange(steps), np.array(costs)


def train_online(net: Net, rng: np.random.Generator, steps: int,
                 rate: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """One uniform random sample per step; every 1000 steps, the cost on 1000 fresh samples."""
    checkpoints, costs = [], []
    for step in range(steps):
        x = rng.uniform(*X_RANGE, size=(1, 1))
        net.step(x, net.scale(noisy_sine(x, rng)), rate)
        if step % 1000 == 0 or step == steps - 1:
            x_check = rng.uniform(*X_RANGE, size=(1000, 1))
            with ag.no_grad():
                h = net(x_check).numpy()
            checkpoints.append(step)
            costs.append(float(np.sum((net.scale(np.sin(x_check)) - h) ** 2) / (2 * 1000)))
    return np.array(checkpoints), np.array(costs)


def predict_sine(net: Net) -> tuple[np.ndarray, np.ndarray]:
    """The thread's prediction: 40 evenly spaced points, outputs mapped back to sin's units."""
    x_new = np.linspace(*X_RANGE, num=40).reshape(-1, 1)
    with ag.no_grad():
        return x_new, net.unscale(net(x_new).numpy())


def sine_error(net: Net) -> float:
    """Mean |prediction - sin(x)| on the 40 prediction points."""
    x_new, prediction = predict_sine(net)
    return float(np.mean(np.abs(prediction - np.sin(x_new))))


def xor_example(rng: np.random.Generator, steps: int) -> dict[str, np.ndarray]:
    """The question's XOR with targets +-1: tanh nets [2, 2, 1] and [2, 3, 1], full batch.

    With two hidden units and a small initialisation, XOR often stalls where every output is
    the same (a symmetric saddle); a third hidden unit makes that rare.
    """
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([[-1], [1], [1], [-1]], dtype=np.float64)
    outputs = {}
    for hidden in (2, 3):
        net = Net([2, hidden, 1], "tanh", rng)
        for _ in range(steps):
            net.step(x, y, rate=0.5)
        with ag.no_grad():
            outputs[f"[2, {hidden}, 1]"] = net(x).numpy().ravel()
        print(f"XOR, targets -1 1 1 -1, net [2, {hidden}, 1]: outputs "
              f"{np.array2string(outputs[f'[2, {hidden}, 1]'], precision=3)}")
    return outputs


def identity_example(rng: np.random.Generator, steps: int) -> float:
    """The question's identity-like task: [1, 3, 1] tanh net, x ~ N(0, 1), target tanh(x)."""
    net = Net([1, 3, 1], "tanh", rng)
    for _ in range(steps):
        x = rng.normal(size=(1, 1))
        net.step(x, np.tanh(x), rate=0.1)
    with ag.no_grad():
        output = net(np.array([[-2.0]])).item()
    print(f"tanh(x) at x = -2: network {output:.3f}, true {np.tanh(-2.0):.3f}")
    return output


def plot_costs(curves: dict, out) -> str:
    """Cost against iteration for each activation and method (the thread's cost plots)."""
    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, method in zip(axes, ("offline", "online"), strict=True):
        for (activation, curve_method), curve in curves.items():
            if curve_method == method:
                ax.plot(*curve, label=activation)
        ax.set(title=f"{method} training", xlabel="iteration", ylabel="cost", yscale="log")
        ax.xaxis.set_major_locator(plt.MaxNLocator(5))  # 20000-step labels would overlap
        ax.legend()
    return str(save_figure(figure, out / "sine_online_offline_cost.png"))


def plot_fits(nets: dict, out) -> str:
    """sin(x) and each trained net's 40 predictions (the thread's red dots)."""
    figure, axes = plt.subplots(1, len(nets), figsize=(4 * len(nets), 3.5), sharey=True)
    x = np.linspace(*X_RANGE, num=200)
    for ax, ((activation, method), net) in zip(axes, nets.items(), strict=True):
        ax.plot(x, np.sin(x), color="black", label="sin(x)")
        ax.plot(*predict_sine(net), "ro", markersize=3, label="prediction")
        ax.set(title=f"{activation}, {method}", xlabel="x", ylim=(-1.5, 1.5))
    axes[0].legend(loc="lower left")
    return str(save_figure(figure, out / "sine_online_offline_fit.png"))


if __name__ == "__main__":
    main()
