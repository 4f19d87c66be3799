"""Backward in several threads at once: each walk keeps its own state, shared leaves add up."""

import sys
import threading

import numpy as np
import pytest

import autograd_lite as ag

STEPS = 300


@pytest.fixture(autouse=True)
def frequent_thread_switches():
    """Switch threads every microsecond, so that two walks interleave node by node."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def _run_in_threads(*targets):
    errors = []
    start = threading.Barrier(len(targets))

    def guarded(target):
        try:
            start.wait()
            target()
        except Exception as error:  # re-raised in the main thread below
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _integer_loss(w, scale):
    """sum(scale * w * w + w): w feeds three edges, so its gradient 2 scale w + 1 is a sum.

    All values are small integers in float64, so every sum of gradients is exact whatever the
    order of accumulation.
    """
    return ((w * w) * scale + w).sum()


def test_two_threads_sharing_a_parameter_accumulate_the_sum_of_their_gradients():
    w = ag.tensor([1.0, -2.0, 3.0], dtype="float64", requires_grad=True)

    def train(scale):
        for _ in range(STEPS):
            _integer_loss(w, scale).backward()

    _run_in_threads(lambda: train(1.0), lambda: train(2.0))
    expected = STEPS * ((2 * 1.0 * w.numpy() + 1) + (2 * 2.0 * w.numpy() + 1))
    np.testing.assert_array_equal(w.grad.numpy(), expected)


def _train_model(seed, steps):
    """A 2-4-1 tanh network trained by hand-written SGD steps; returns its final parameters."""
    rng = np.random.default_rng(seed)
    inputs = ag.tensor(rng.normal(size=(8, 2)))
    targets = ag.tensor(rng.normal(size=(8, 1)))
    params = [ag.tensor(rng.normal(size=shape), requires_grad=True)
              for shape in [(2, 4), (4,), (4, 1), (1,)]]
    first, bias, second, out_bias = params
    for _ in range(steps):
        hidden = ag.tanh(inputs @ first + bias)
        loss = (((hidden @ second + out_bias) - targets) ** 2).mean()
        loss.backward()
        with ag.no_grad():
            for param in params:
                param.sub_(0.1 * param.grad.numpy())
                param.zero_grad()
    return [param.numpy() for param in params]


def test_two_threads_training_two_models_give_exactly_the_sequential_results():
    sequential = [_train_model(seed, STEPS) for seed in (1, 2)]
    threaded = {}

    def train(seed):
        threaded[seed] = _train_model(seed, STEPS)

    _run_in_threads(lambda: train(1), lambda: train(2))
    for expected, seed in zip(sequential, (1, 2)):
        for got, want in zip(threaded[seed], expected):
            np.testing.assert_array_equal(got, want)


def test_threads_sharing_an_intermediate_graph_each_get_its_full_gradient():
    x = ag.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    shared = x * 3.0
    results = {}

    def differentiate(power, key):
        for _ in range(STEPS):
            (g,) = ag.grad((shared ** power).sum(), x, retain_graph=True)
            results.setdefault(key, []).append(g.numpy())

    _run_in_threads(lambda: differentiate(2, "square"), lambda: differentiate(3, "cube"))
    values = x.numpy()
    for got in results["square"]:  # d/dx (3x)^2 = 18 x
        np.testing.assert_array_equal(got, 18 * values)
    for got in results["cube"]:  # d/dx (3x)^3 = 81 x^2
        np.testing.assert_array_equal(got, 81 * values ** 2)


def test_a_walk_paused_in_a_hook_does_not_mix_with_a_walk_in_another_thread():
    x = ag.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    shared = x * 3.0
    early, late = shared * 2.0, shared * 5.0  # late is processed first and reaches shared
    paused, resumed = threading.Event(), threading.Event()

    def pause(grad):
        paused.set()
        assert resumed.wait(5)

    early.register_hook(pause)
    results = {}

    def outer():
        (results["outer"],) = ag.grad(early.sum() + late.sum(), x, retain_graph=True)

    def inner():
        assert paused.wait(5)  # the outer walk now holds a partial gradient of shared
        try:
            (results["inner"],) = ag.grad((shared * shared).sum(), x, retain_graph=True)
        finally:
            resumed.set()

    _run_in_threads(outer, inner)
    np.testing.assert_array_equal(results["outer"].numpy(), [21.0, 21.0])  # 3 * (2 + 5)
    np.testing.assert_array_equal(results["inner"].numpy(), 18 * x.numpy())  # d (3x)^2 / dx
