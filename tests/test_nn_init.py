"""nn.init: in-place fills from the default generator, bounds and spreads from the formulas,
gains from PyTorch's table, reproducibility under ag.manual_seed."""

import math

import numpy as np
import pytest

import autograd_lite as ag
import nn
from nn import init


@pytest.mark.parametrize("name, param, expected", [
    ("linear", None, 1.0), ("sigmoid", None, 1.0), ("conv2d", None, 1.0),
    ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)), ("selu", None, 0.75),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))), ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
])
def test_calculate_gain_follows_pytorch(name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(expected)


def test_calculate_gain_rejects_unknown_nonlinearity():
    with pytest.raises(ValueError, match="calculate_gain: unsupported nonlinearity 'swishy'"):
        init.calculate_gain("swishy")


def test_fills_are_in_place_and_return_the_tensor():
    w = ag.zeros(3, 4)
    data = w.data
    assert init.constant_(w, 2.5) is w and w.data is data
    np.testing.assert_array_equal(w.data, np.full((3, 4), 2.5))
    np.testing.assert_array_equal(init.zeros_(w).data, np.zeros((3, 4)))
    np.testing.assert_array_equal(init.ones_(w).data, np.ones((3, 4)))
    assert w.dtype == np.float32


def test_uniform_matches_the_default_generator_draws():
    ag.manual_seed(5)
    w = init.uniform_(ag.zeros(2, 3), -0.5, 0.5)
    expected = np.random.default_rng(5).uniform(-0.5, 0.5, (2, 3)).astype(np.float32)
    np.testing.assert_array_equal(w.data, expected)


def test_normal_matches_the_default_generator_draws():
    ag.manual_seed(5)
    w = init.normal_(ag.zeros(4, dtype="float64"), 1.0, 0.01)
    np.testing.assert_array_equal(w.data, np.random.default_rng(5).normal(1.0, 0.01, 4))


def test_seed_tutorial_schemes_are_one_liners():
    ag.manual_seed(0)
    w = init.uniform_(ag.zeros(1000), -1, 1)  # 2 * rand - 1
    assert w.data.min() >= -1 and w.data.max() < 1 and w.data.min() < -0.99
    small = init.normal_(ag.zeros(10000), 0, 0.01)  # randn * 0.01
    assert abs(small.data.std() - 0.01) < 0.0005


def test_xavier_uniform_bound_uses_fan_in_plus_fan_out():
    ag.manual_seed(0)
    w = init.xavier_uniform_(ag.zeros(200, 100), gain=2.0)
    bound = 2.0 * math.sqrt(6 / 300)
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.99 * bound


def test_xavier_normal_std():
    ag.manual_seed(0)
    w = init.xavier_normal_(ag.zeros(300, 200))
    assert w.data.std() == pytest.approx(math.sqrt(2 / 500), rel=0.02)


def test_kaiming_uniform_bound_for_fan_in_and_fan_out_with_receptive_field():
    ag.manual_seed(0)
    w = init.kaiming_uniform_(ag.zeros(8, 4, 3, 3), nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / (4 * 9))
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.95 * bound
    w = init.kaiming_uniform_(ag.zeros(8, 4, 3, 3), mode="fan_out", nonlinearity="relu")
    assert np.abs(w.data).max() <= math.sqrt(2) * math.sqrt(3 / (8 * 9))


def test_kaiming_normal_std():
    ag.manual_seed(0)
    w = init.kaiming_normal_(ag.zeros(100, 400), nonlinearity="relu")
    assert w.data.std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)


def test_init_is_reproducible_under_manual_seed():
    ag.manual_seed(11)
    first = init.kaiming_normal_(ag.zeros(5, 5)).data.copy()
    ag.manual_seed(11)
    np.testing.assert_array_equal(init.kaiming_normal_(ag.zeros(5, 5)).data, first)


def test_fan_based_init_needs_two_dimensions():
    with pytest.raises(ValueError, match=r"xavier_uniform_: .* at least 2 dimensions .* "
                                         r"got shape \(5,\)"):
        init.xavier_uniform_(ag.zeros(5))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="kaiming_normal_: mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_normal_(ag.zeros(2, 2), mode="fan_avg")
    with pytest.raises(ValueError, match="uniform_: the lower bound a=1 exceeds"):
        init.uniform_(ag.zeros(2), 1, 0)
    with pytest.raises(TypeError, match="normal_: expected a Tensor, got ndarray"):
        init.normal_(np.zeros(2))


def test_a_non_tensor_is_a_type_error_before_any_draw():
    ag.manual_seed(2)
    for fill in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_):
        with pytest.raises(TypeError, match=f"{fill.__name__}: expected a Tensor, got list"):
            fill([[1.0, 2.0]])
    expected = np.random.default_rng(2).uniform(0, 1, 3).astype(np.float32)
    np.testing.assert_array_equal(init.uniform_(ag.zeros(3)).data, expected)


def test_kaiming_init_of_an_empty_weight_is_a_no_op():
    assert init.kaiming_uniform_(ag.zeros(3, 0)).shape == (3, 0)
    assert init.kaiming_normal_(ag.zeros(0, 2), mode="fan_out").shape == (0, 2)


@pytest.mark.parametrize("fill, draw", [
    (lambda w, g: init.uniform_(w, -0.5, 0.5, generator=g),
     lambda g: g.uniform(-0.5, 0.5, (4, 3))),
    (lambda w, g: init.normal_(w, 1.0, 0.1, generator=g), lambda g: g.normal(1.0, 0.1, (4, 3))),
    (lambda w, g: init.xavier_uniform_(w, generator=g),
     lambda g: g.uniform(-math.sqrt(6 / 7), math.sqrt(6 / 7), (4, 3))),
    (lambda w, g: init.kaiming_normal_(w, nonlinearity="relu", generator=g),
     lambda g: g.normal(0.0, math.sqrt(2 / 3), (4, 3))),
])
def test_a_given_generator_is_used_and_the_default_one_is_left_alone(fill, draw):
    ag.manual_seed(1)
    w = fill(ag.zeros(4, 3, dtype="float64"), np.random.default_rng(21))
    # the same draws; the scale may differ in the last bit (sqrt(2)/sqrt(3) vs sqrt(2/3))
    np.testing.assert_allclose(w.data, draw(np.random.default_rng(21)), rtol=1e-14)
    np.testing.assert_array_equal(ag.rand(2, dtype="float64").numpy(),
                                  np.random.default_rng(1).random(2))


def test_init_follows_use_generator():
    with ag.random.use_generator(4):
        w = init.normal_(ag.zeros(3, dtype="float64"))
    np.testing.assert_array_equal(w.data, np.random.default_rng(4).normal(0.0, 1.0, 3))


def test_init_of_a_parameter_works_with_grad_mode_on():
    w = nn.Parameter(ag.zeros(2, 2))
    assert ag.is_grad_enabled() and init.constant_(w, 3.0) is w
    np.testing.assert_array_equal(w.data, np.full((2, 2), 3.0))
    assert w.requires_grad and w.is_leaf


def test_backward_refuses_a_value_that_init_overwrote_after_it_was_saved():
    w = nn.Parameter(ag.ones(3))
    y = (w * w).sum()
    init.normal_(w)
    with pytest.raises(RuntimeError, match=r"input 0 of 'mul' \(shape \(3,\)\) was changed in "
                                           r"place by nn.init.normal_ after 'mul' used it"):
        y.backward()
