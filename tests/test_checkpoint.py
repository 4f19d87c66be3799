"""ag.checkpoint and nn.utils.checkpoint_sequential: exact gradients, replayed randomness."""

import numpy as np
import pytest

import autograd_lite as ag
import nn
from autograd_lite import func


def model_and_input(dropout=0.0):
    ag.manual_seed(0)
    layers = []
    for _ in range(4):
        layers += [nn.Linear(6, 6), nn.Tanh(), nn.Dropout(dropout)]
    model = nn.Sequential(*layers, nn.Linear(6, 1))
    return model, ag.randn(5, 6, requires_grad=True)


def gradients(model, x, run, seed=3):
    model.zero_grad()
    x.grad = None
    ag.manual_seed(seed)
    loss = run(model, x).sum()
    loss.backward()
    return loss.item(), [p.grad.numpy().copy() for p in model.parameters()] + [
        x.grad.numpy().copy()], ag.default_generator().random()


def assert_same(first, second):
    assert first[0] == second[0]
    for a, b in zip(first[1], second[1], strict=True):
        np.testing.assert_array_equal(a, b)
    assert first[2] == second[2]  # the generator ends in the same state


def test_checkpoint_gives_exactly_the_gradients_of_the_plain_call():
    model, x = model_and_input()
    assert_same(gradients(model, x, lambda m, v: m(v)),
                gradients(model, x, lambda m, v: ag.checkpoint(m, v)))


def test_checkpoint_replays_dropout_and_leaves_the_generator_where_the_forward_did():
    model, x = model_and_input(dropout=0.5)
    plain = gradients(model, x, lambda m, v: m(v))
    assert_same(plain, gradients(model, x, lambda m, v: ag.checkpoint(m, v)))
    assert_same(plain, gradients(model, x, lambda m, v: nn.utils.checkpoint_sequential(m, 3, v)))


def test_checkpoint_sequential_gives_the_plain_gradients_for_every_segment_count():
    model, x = model_and_input(dropout=0.2)
    plain = gradients(model, x, lambda m, v: m(v))
    for segments in (1, 2, 4, 13):
        assert_same(plain, gradients(
            model, x, lambda m, v, s=segments: nn.utils.checkpoint_sequential(m, s, v)))
    with pytest.raises(ValueError, match=r"checkpoint_sequential: segments must lie in "
                                         r"\[1, 13\] for 13 layers, got 14"):
        nn.utils.checkpoint_sequential(model, 14, x)


def test_checkpoint_drops_the_inner_graph_after_the_forward_pass():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    y = ag.checkpoint(lambda v: ag.tanh(ag.exp(v * w)), ag.tensor([0.5, 0.1]))
    assert y.op_name == "checkpoint" and len(y._inputs) == 1 and y._inputs[0] is w


def test_checkpoint_works_with_ag_grad_and_double_backward():
    w = ag.tensor([0.3, -0.4], dtype="float64", requires_grad=True)
    x = ag.tensor([1.5, 0.5], dtype="float64", requires_grad=True)

    def block(v):
        return (ag.sin(v * w) ** 2).sum()

    gx, gw = ag.grad(ag.checkpoint(block, x), [x, w])
    ex, ew = ag.grad(block(x), [x, w])
    np.testing.assert_array_equal(gx.numpy(), ex.numpy())
    np.testing.assert_array_equal(gw.numpy(), ew.numpy())
    assert ag.gradgradcheck(lambda v, u: ag.checkpoint(lambda a: ag.tanh(a * u) ** 3, v), [x, w])
    hessian = func.hessian(lambda v: ag.checkpoint(lambda a: (ag.sin(a) ** 2).sum(), v))(
        ag.tensor([0.3, 0.4], dtype="float64"))
    np.testing.assert_allclose(hessian.numpy(), np.diag(2 * np.cos(2 * np.array([0.3, 0.4]))),
                               rtol=1e-12)


def test_checkpoint_refuses_a_recomputation_that_differs_from_the_forward():
    own = np.random.default_rng(0)
    layer = nn.Dropout(0.5, generator=own)
    y = ag.checkpoint(lambda v: layer(v * 1.0), ag.ones((20,), requires_grad=True))
    with pytest.raises(RuntimeError, match="checkpoint: recomputing <lambda> in backward gave a "
                                           "different output than the forward pass"):
        y.sum().backward()


def test_checkpoint_under_no_grad_is_the_plain_call():
    with ag.no_grad():
        y = ag.checkpoint(lambda v: v * 2, ag.ones((2,), requires_grad=True))
    assert not y.requires_grad and y.numpy().tolist() == [2.0, 2.0]


def test_checkpoint_requires_one_tensor_output():
    with pytest.raises(TypeError, match="checkpoint: <lambda> must return one Tensor, got tuple"):
        ag.checkpoint(lambda v: (v, v), ag.ones((2,), requires_grad=True))


def test_checkpoint_refuses_parameters_changed_in_place_before_backward():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    y = ag.checkpoint(lambda v: (v * w).sum(), ag.tensor([3.0, 4.0]))
    with ag.no_grad():
        w -= 0.1
    with pytest.raises(RuntimeError, match="backward: input 0 of 'checkpoint' .* was changed in "
                                           "place"):
        y.backward()
