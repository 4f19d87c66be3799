"""Numerical stability: extreme inputs give finite values and gradients wherever the maths is
finite, and no NumPy RuntimeWarning reaches the user. Long runs keep memory flat."""

import gc
import math
import tracemalloc
import warnings

import numpy as np
import pytest

import autograd_lite as ag

EXTREMES = {
    "huge logits": [1e4, -1e4, 0.5, -3.0],
    "large": [1000.0, -1000.0, 3.0, 0.0],
    "tiny": [1e-300, 2e-300, -3e-300, 5e-301],
}

# Functions whose value and gradient are finite for every finite input.
EVERYWHERE_FINITE = {
    "sigmoid": ag.sigmoid,
    "tanh": ag.tanh,
    "softplus": ag.softplus,
    "relu": ag.relu,
    "leaky_relu": ag.leaky_relu,
    "abs": ag.abs,
    "sin": ag.sin,
    "cos": ag.cos,
    "clip": lambda x: ag.clip(x, -1.0, 1.0),
    "logsumexp": lambda x: ag.logsumexp(x),
    "log_softmax": lambda x: ag.log_softmax(x),
    "softmax": lambda x: ag.softmax(x) * ag.tensor([1.0, 2.0, 3.0, 4.0], dtype=x.dtype),
    "max": lambda x: x.max(),
    "min": lambda x: x.min(),
    "mean": lambda x: x.mean(),
    "exp of -|x|": lambda x: ag.exp(-ag.abs(x)),
    "log1p of |x|": lambda x: ag.log1p(ag.abs(x)),
    "maximum": lambda x: ag.maximum(x, 0.25),
    "where": lambda x: ag.where(x > 0, x, x * 2),
}


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", sorted(EXTREMES))
@pytest.mark.parametrize("name", sorted(EVERYWHERE_FINITE))
def test_value_and_gradient_stay_finite(name, case, dtype):
    x = ag.tensor(np.array(EXTREMES[case], dtype=dtype), requires_grad=True)
    y = EVERYWHERE_FINITE[name](x)
    y.sum().backward()
    assert np.isfinite(y.numpy()).all(), f"{name} value at {case}: {y.numpy()}"
    assert np.isfinite(x.grad.numpy()).all(), f"{name} gradient at {case}: {x.grad.numpy()}"
    assert y.dtype == dtype and x.grad.dtype == dtype


def test_sigmoid_saturates_exactly_at_extreme_logits():
    x = ag.tensor([-1e4, 1e4], dtype=np.float64, requires_grad=True)
    y = ag.sigmoid(x)
    y.sum().backward()
    np.testing.assert_array_equal(y.numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_sigmoid_keeps_relative_precision_and_underflows_to_zero_as_pytorch():
    # PyTorch 2.14 gives, in float32: sigmoid(-100) = sigmoid(-90) = 0 (e**90 overflows),
    # sigmoid(-87) = 1.6458115e-38 and sigmoid(-20) = 2.0611537e-09; in float64 sigmoid(-90) =
    # e**-90 / (1 + e**-90) = 8.194012623990515e-40.
    x32 = ag.tensor([-100.0, -90.0, -87.0, -20.0, 0.0, 20.0], dtype=np.float32)
    np.testing.assert_allclose(ag.sigmoid(x32).numpy(),
                               [0.0, 0.0, math.exp(-87) / (1 + math.exp(-87)),
                                math.exp(-20) / (1 + math.exp(-20)), 0.5,
                                1 / (1 + math.exp(-20))], rtol=1e-6, atol=0)
    x64 = ag.tensor([-90.0, -700.0], dtype=np.float64)
    np.testing.assert_allclose(ag.sigmoid(x64).numpy(),
                               [math.exp(-90) / (1 + math.exp(-90)), math.exp(-700)], rtol=1e-14)


def test_log_softmax_of_extreme_logits_matches_the_exact_value():
    x = ag.tensor([[1000.0, 0.0, -1000.0]], dtype=np.float64)
    np.testing.assert_allclose(ag.log_softmax(x).numpy(), [[0.0, -1000.0, -2000.0]])


def _train_steps(steps: int, params: list, data: tuple) -> None:
    x, y = data
    w1, b1, w2, b2 = params
    for _ in range(steps):
        hidden = ag.tanh(x @ w1 + b1)
        loss = ((ag.sigmoid(hidden @ w2 + b2) - y) ** 2).mean()
        loss.backward()
        with ag.no_grad():
            for p in params:
                p.data -= 0.1 * p.grad.data
                p.grad = None


def _live_tensors() -> int:
    gc.collect()
    return sum(isinstance(o, ag.Tensor) for o in gc.get_objects())


def test_ten_thousand_training_steps_keep_memory_flat():
    rng = np.random.default_rng(0)
    data = (ag.tensor(rng.normal(size=(16, 2))), ag.tensor(rng.integers(0, 2, (16, 1))))
    params = [ag.tensor(rng.normal(size=shape) * 0.5, requires_grad=True)
              for shape in [(2, 8), (8,), (8, 1), (1,)]]
    _train_steps(100, params, data)
    tensors_before = _live_tensors()
    tracemalloc.start()
    try:
        # Warm-up fills interpreter free lists (small tuples are kept for reuse), which is
        # bounded growth and not a leak.
        _train_steps(3_000, params, data)
        baseline = tracemalloc.get_traced_memory()[0]
        _train_steps(10_000, params, data)
        grown = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert _live_tensors() == tensors_before
    assert grown < 64 * 1024, f"memory grew by {grown} bytes over 10,000 steps"


LOGITS = [[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]]
SOFTPLUS_OF_MINUS_3 = np.log1p(np.exp(-3.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, expected", [
    # row 0 picks the winning logit (loss 0); row 1 picks 3 against 1e4 (loss 1e4 - 3)
    ("cross_entropy", (0.0 + (1e4 - 3.0)) / 2),
    # softplus(-x) per element: 0, 1e4, log 2, 1e4, 0, softplus(-3)
    ("binary_cross_entropy_with_logits", (2e4 + np.log(2.0) + SOFTPLUS_OF_MINUS_3) / 6),
    # -log(sigmoid(x)) with log clamped at -100 as in PyTorch: 0, 100, log 2, 100, 0, ...
    ("binary_cross_entropy", (200.0 + np.log(2.0) + SOFTPLUS_OF_MINUS_3) / 6),
])
def test_losses_at_extreme_logits_are_finite_and_exact(name, expected, dtype):
    import nn.functional as NF

    logits = ag.tensor(np.array(LOGITS, dtype=dtype), requires_grad=True)
    ones = ag.tensor(np.ones((2, 3), dtype=dtype))
    loss = {
        "cross_entropy": lambda: NF.cross_entropy(logits, ag.tensor(np.array([0, 2]))),
        "binary_cross_entropy_with_logits":
            lambda: NF.binary_cross_entropy_with_logits(logits, ones),
        "binary_cross_entropy": lambda: NF.binary_cross_entropy(ag.sigmoid(logits), ones),
    }[name]()
    loss.backward()
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert np.isfinite(logits.grad.numpy()).all()
    assert loss.dtype == dtype and logits.grad.dtype == dtype
