"""ag.Generator and the random functions with PyTorch's names, signatures and conventions.

The numbers are NumPy's (an ``ag.Generator`` seeded with s draws what ``np.random.default_rng(s)``
draws), not PyTorch's; what is pinned here is PyTorch's behaviour: shapes, dtypes, ranges, no
repeats without replacement, p in {0, 1}, errors.
"""

import numpy as np
import pytest

import autograd_lite as ag
import nn
from nn import functional as F
from nn.data import DataLoader, TensorDataset

# --- the Generator --------------------------------------------------------------------------


def test_manual_seed_returns_the_generator_and_fixes_the_numbers():
    g = ag.Generator().manual_seed(42)
    assert isinstance(g, ag.Generator) and g.initial_seed() == 42
    first = ag.rand(3, generator=g, dtype="float64")
    np.testing.assert_array_equal(first.numpy(), np.random.default_rng(42).random(3))
    g.manual_seed(42)
    np.testing.assert_array_equal(ag.rand(3, generator=g, dtype="float64").numpy(),
                                  first.numpy())


def test_a_new_generator_has_pytorchs_default_seed():
    assert ag.Generator().initial_seed() == 67280421310721


def test_seed_draws_a_fresh_seed_and_reports_it():
    g = ag.Generator()
    seed = g.seed()
    assert seed == g.initial_seed() and seed != 67280421310721
    np.testing.assert_array_equal(ag.rand(2, generator=g, dtype="float64").numpy(),
                                  np.random.default_rng(seed).random(2))


def test_get_state_and_set_state_replay_the_draws():
    g = ag.Generator().manual_seed(1)
    state = g.get_state()
    first = ag.randn(4, generator=g)
    assert g.set_state(state) is g
    np.testing.assert_array_equal(ag.randn(4, generator=g).numpy(), first.numpy())


def test_set_state_refuses_anything_else():
    with pytest.raises(ValueError, match=r"^Generator.set_state: expected a state from "
                                         r"get_state\(\), got str"):
        ag.Generator().set_state("state")


def test_generator_is_cpu_only_and_seeds_are_ints():
    with pytest.raises(RuntimeError, match=r"^Generator: autograd_lite runs on the CPU only"):
        ag.Generator(device="cuda")
    with pytest.raises(TypeError, match=r"^Generator.manual_seed: seed must be an int"):
        ag.Generator().manual_seed(1.5)
    assert ag.Generator().manual_seed(-1).initial_seed() == 2**64 - 1  # as PyTorch


DRAWS = {
    "rand": lambda g: ag.rand(3, generator=g),
    "randn": lambda g: ag.randn(3, generator=g),
    "randint": lambda g: ag.randint(0, 100, (5,), generator=g),
    "randperm": lambda g: ag.randperm(10, generator=g),
    "multinomial": lambda g: ag.multinomial(ag.ones(10), 3, generator=g),
    "multinomial with replacement": lambda g: ag.multinomial(ag.ones(10), 8, True,
                                                             generator=g),
    "normal": lambda g: ag.normal(ag.zeros(3), ag.ones(3), generator=g),
    "bernoulli": lambda g: ag.bernoulli(ag.full((8,), 0.5), generator=g),
    "rand_like": lambda g: ag.rand_like(ag.zeros(3), generator=g),
    "randn_like": lambda g: ag.randn_like(ag.zeros(3), generator=g),
    "nn.init.normal_": lambda g: nn.init.normal_(ag.zeros(3), generator=g),
    "nn.init.kaiming_uniform_": lambda g: nn.init.kaiming_uniform_(ag.zeros(3, 2), generator=g),
    "F.dropout": lambda g: F.dropout(ag.ones(8), 0.5, generator=g),
    "nn.Dropout": lambda g: nn.Dropout(0.5, generator=g)(ag.ones(8)),
    "DataLoader": lambda g: ag.tensor(np.concatenate([np.asarray(batch[0]) for batch in
                                                      DataLoader(TensorDataset(np.arange(6.0)),
                                                                 batch_size=2, shuffle=True,
                                                                 generator=g)])),
}


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_every_random_function_takes_an_ag_generator(name):
    draw = DRAWS[name]
    first = draw(ag.Generator().manual_seed(3)).numpy()
    np.testing.assert_array_equal(draw(ag.Generator().manual_seed(3)).numpy(), first)
    np.testing.assert_array_equal(draw(np.random.default_rng(3)).numpy(), first)


def test_use_generator_takes_an_ag_generator():
    with ag.random.use_generator(ag.Generator().manual_seed(5)):
        inside = ag.rand(2, dtype="float64").numpy()
    np.testing.assert_array_equal(inside, np.random.default_rng(5).random(2))


# --- randint, randperm --------------------------------------------------------------------------


def test_randint_takes_pytorchs_signatures():
    g = ag.Generator().manual_seed(0)
    high_only = ag.randint(3, (1000,), generator=g)
    assert high_only.dtype == np.int64 and set(high_only.tolist()) == {0, 1, 2}
    bounded = ag.randint(5, 8, (2, 500), generator=g)
    assert bounded.shape == (2, 500) and set(bounded.numpy().ravel().tolist()) == {5, 6, 7}
    assert ag.randint(low=1, high=2, size=(3,)).tolist() == [1, 1, 1]
    assert ag.randint(10, size=(2,)).shape == (2,)
    assert ag.randint(0, 4, (2,), dtype="float32").dtype == np.float32


@pytest.mark.parametrize("call, error, message", [
    (lambda: ag.randint(5), TypeError, r"randint: give the upper bound and a size"),
    (lambda: ag.randint(3, 3, (2,)), ValueError, r"randint: high \(3\) must be larger than "
                                                  r"low \(3\)"),
    (lambda: ag.randint(1.5, (2,)), TypeError, r"randint: high must be an int, got 1.5"),
    (lambda: ag.randint(0, 1, 2, (2,)), TypeError, r"randint: expected randint\(high, size\)"),
])
def test_randint_errors(call, error, message):
    with pytest.raises(error, match=rf"^{message}"):
        call()


def test_randperm_is_a_permutation():
    perm = ag.randperm(20, generator=ag.Generator().manual_seed(0))
    assert perm.dtype == np.int64 and sorted(perm.tolist()) == list(range(20))
    assert ag.randperm(0).shape == (0,)
    with pytest.raises(ValueError, match=r"^randperm: n must be non-negative, got -1"):
        ag.randperm(-1)


# --- multinomial --------------------------------------------------------------------------------


def test_multinomial_shapes_and_dtype():
    assert ag.multinomial(ag.ones(5), 3).shape == (3,)
    rows = ag.multinomial(ag.ones(4, 5), 2)
    assert rows.shape == (4, 2) and rows.dtype == np.int64


def test_multinomial_without_replacement_never_repeats_an_index():
    g = ag.Generator().manual_seed(0)
    draws = ag.multinomial(ag.tensor(np.tile([5.0, 1.0, 0.1, 2.0, 3.0], (500, 1))), 5,
                           generator=g).numpy()
    assert all(sorted(row) == [0, 1, 2, 3, 4] for row in draws.tolist())


def test_multinomial_without_replacement_takes_zero_weights_last():
    for seed in range(20):
        draws = ag.multinomial(ag.tensor([1.0, 0.0, 1.0]), 3,
                               generator=ag.Generator().manual_seed(seed))
        assert draws.tolist()[2] == 1 and sorted(draws.tolist()) == [0, 1, 2]


def test_multinomial_with_replacement_never_draws_a_zero_weight():
    draws = ag.multinomial(ag.tensor([0.0, 1.0, 0.0, 3.0, 0.0]), 4000, replacement=True,
                           generator=ag.Generator().manual_seed(0)).numpy()
    counts = np.bincount(draws, minlength=5)
    assert counts[[0, 2, 4]].tolist() == [0, 0, 0]
    assert abs(counts[3] / 4000 - 0.75) < 0.03  # 0.75 +- 4.4 standard deviations


def test_multinomial_without_replacement_draws_in_proportion_to_the_weights():
    # The second draw of weights (1, 2, 3) is category 0 with probability
    # 2/6 * 1/4 + 3/6 * 1/3 = 1/4, category 1 with 1/6 * 2/5 + 3/6 * 2/3 = 2/5.
    draws = ag.multinomial(ag.tensor(np.tile([1.0, 2.0, 3.0], (6000, 1))), 2,
                           generator=ag.Generator().manual_seed(0)).numpy()
    share = np.bincount(draws[:, 1], minlength=3) / 6000
    np.testing.assert_allclose(share, [0.25, 0.4, 0.35], atol=0.025)


@pytest.mark.parametrize("weights, samples, message", [
    ([0.2, 0.3, 0.5], 4, r"multinomial: cannot draw 4 samples without replacement from 3 "
                         r"categories"),
    ([1.0, -1.0], 1, r"multinomial: the weights contain a negative, NaN or infinite value"),
    ([1.0, np.nan], 1, r"multinomial: the weights contain a negative, NaN or infinite value"),
    ([0.0, 0.0], 1, r"multinomial: a row of weights adds up to 0"),
    ([1.0, 1.0], 0, r"multinomial: num_samples must be at least 1, got 0"),
    ([[[1.0]]], 1, r"multinomial: input must be 1-D or 2-D"),
])
def test_multinomial_errors(weights, samples, message):
    with pytest.raises(ValueError, match=rf"^{message}"):
        ag.multinomial(ag.tensor(weights), samples)


# --- normal, bernoulli, *_like --------------------------------------------------------------


def test_normal_broadcasts_mean_and_std():
    mean = ag.tensor([[0.0], [10.0]])
    samples = ag.normal(mean, ag.tensor([1.0, 0.0, 2.0]))
    assert samples.shape == (2, 3) and samples.dtype == np.float32
    assert samples.tolist()[0][1] == 0.0 and samples.tolist()[1][1] == 10.0  # std 0: the mean
    assert ag.normal(0.0, 1.0, size=(2, 3)).shape == (2, 3)
    assert ag.normal(ag.zeros(2, dtype="float64")).dtype == np.float64


def test_normal_matches_mean_plus_std_times_standard_normal():
    samples = ag.normal(2.0, 3.0, (4,), generator=ag.Generator().manual_seed(7), dtype="float64")
    np.testing.assert_allclose(samples.numpy(),
                               2.0 + 3.0 * np.random.default_rng(7).standard_normal(4))


def test_normal_records_no_graph():
    mean = ag.zeros(3, requires_grad=True)
    assert not ag.normal(mean, 1.0).requires_grad


def test_normal_errors():
    with pytest.raises(ValueError, match=r"^normal: std must be non-negative"):
        ag.normal(ag.zeros(2), -ag.ones(2))
    with pytest.raises(TypeError, match=r"^normal: with a number mean and std, give size="):
        ag.normal(0.0, 1.0)


def test_bernoulli_of_zero_and_one_is_exact():
    p = ag.tensor(np.tile([0.0, 1.0], 500), dtype="float64")
    draws = ag.bernoulli(p, generator=ag.Generator().manual_seed(0))
    assert draws.dtype == np.float64 and draws.tolist() == p.tolist()
    assert ag.bernoulli(ag.zeros(3), p=1.0).tolist() == [1.0, 1.0, 1.0]
    assert ag.bernoulli(ag.ones(3), p=0.0).tolist() == [0.0, 0.0, 0.0]


def test_bernoulli_of_one_half_is_fair():
    draws = ag.bernoulli(ag.full((4000,), 0.5), generator=ag.Generator().manual_seed(0))
    assert set(draws.tolist()) == {0.0, 1.0} and abs(draws.mean().item() - 0.5) < 0.04


def test_bernoulli_refuses_probabilities_outside_0_1():
    with pytest.raises(ValueError, match=r"^bernoulli: probabilities must be in \[0, 1\]"):
        ag.bernoulli(ag.tensor([1.5]))


def test_rand_like_and_randn_like_take_shape_and_dtype():
    x = ag.zeros(2, 3, dtype="float64")
    assert ag.rand_like(x).shape == (2, 3) and ag.rand_like(x).dtype == np.float64
    assert ag.randn_like(x, dtype="float32").dtype == np.float32
    assert ag.rand_like(x, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match=r"^rand_like: needs a float dtype, got int64"):
        ag.rand_like(ag.tensor(np.array([1, 2])))
