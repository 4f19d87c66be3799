"""Random generators: the process-wide default, per-thread overrides, and the generator=
arguments of rand/randn and dropout."""

import threading

import numpy as np
import pytest

import autograd_lite as ag
import nn


def first_draws_of(seed, count=3):
    return np.random.default_rng(seed).random(count)


def test_use_generator_with_a_seed_draws_like_default_rng():
    with ag.random.use_generator(4) as generator:
        assert ag.default_generator() is generator
        values = ag.rand(3, dtype="float64").numpy()
    np.testing.assert_array_equal(values, first_draws_of(4))


def test_use_generator_leaves_the_process_generator_untouched():
    ag.manual_seed(7)
    with ag.random.use_generator(np.random.default_rng(1)):
        ag.rand(100)
    np.testing.assert_array_equal(ag.rand(3, dtype="float64").numpy(), first_draws_of(7))


def test_use_generator_blocks_nest_and_restore_on_error():
    outer, inner = np.random.default_rng(1), np.random.default_rng(2)
    process = ag.manual_seed(0)
    with ag.random.use_generator(outer):
        with pytest.raises(KeyError):
            with ag.random.use_generator(inner):
                assert ag.default_generator() is inner
                raise KeyError("boom")
        assert ag.default_generator() is outer
    assert ag.default_generator() is process


def test_use_generator_is_local_to_the_thread():
    process = ag.manual_seed(0)
    seen_by_other_thread = []
    inside, done = threading.Event(), threading.Event()

    def other_thread():
        inside.wait()
        seen_by_other_thread.append(ag.default_generator())
        done.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with ag.random.use_generator(3) as mine:
        inside.set()
        done.wait()
        assert ag.default_generator() is mine
    thread.join()
    assert seen_by_other_thread == [process]


def test_manual_seed_inside_a_block_reseeds_the_process_generator_only():
    with ag.random.use_generator(5) as mine:
        ag.manual_seed(9)
        assert ag.default_generator() is mine
    np.testing.assert_array_equal(ag.rand(3, dtype="float64").numpy(), first_draws_of(9))


def test_rand_and_randn_take_a_generator():
    ag.manual_seed(0)
    uniform = ag.rand(2, 3, generator=np.random.default_rng(6))
    normal = ag.randn(4, dtype="float64", generator=np.random.default_rng(6))
    np.testing.assert_array_equal(
        uniform.numpy(), np.random.default_rng(6).random((2, 3)).astype(np.float32))
    np.testing.assert_array_equal(normal.numpy(), np.random.default_rng(6).standard_normal(4))
    np.testing.assert_array_equal(ag.rand(3, dtype="float64").numpy(), first_draws_of(0))


@pytest.mark.parametrize("make, name", [
    (lambda g: ag.rand(2, generator=g), "rand"),
    (lambda g: ag.random.use_generator(g).__enter__(), "use_generator"),
    (lambda g: nn.functional.dropout(ag.ones(2), 0.5, generator=g), "dropout"),
    (lambda g: nn.Dropout(0.5, generator=g), "Dropout"),
])
def test_a_legacy_random_state_is_refused_with_the_fix(make, name):
    with pytest.raises(TypeError, match=rf"^{name}: generator must be an ag.Generator, a "
                                        rf"np.random.Generator "
                                        rf"\(e.g. ag.manual_seed\(0\) or np.random.default_rng"
                                        rf"\(0\)\) or None, got RandomState"):
        make(np.random.RandomState(0))


# --- dropout ----------------------------------------------------------------------------------


def test_dropout_draws_its_mask_from_the_given_generator():
    output = nn.functional.dropout(ag.ones(2, 5), 0.4, generator=np.random.default_rng(8))
    keep = np.random.default_rng(8).random((2, 5)) >= 0.4
    np.testing.assert_allclose(output.numpy(), keep / 0.6, rtol=1e-6)


def test_dropout_module_keeps_drawing_from_its_generator():
    layer = nn.Dropout(0.5, generator=np.random.default_rng(2))
    ag.manual_seed(0)
    first, second = layer(ag.ones(6)).numpy(), layer(ag.ones(6)).numpy()
    reference = np.random.default_rng(2)
    np.testing.assert_array_equal(first, (reference.random(6) >= 0.5) * 2.0)
    np.testing.assert_array_equal(second, (reference.random(6) >= 0.5) * 2.0)
    np.testing.assert_array_equal(ag.rand(3, dtype="float64").numpy(), first_draws_of(0))


def test_dropout_without_a_generator_follows_use_generator():
    layer = nn.Dropout(0.5)
    with ag.random.use_generator(11):
        output = layer(ag.ones(8)).numpy()
    np.testing.assert_array_equal(output, (np.random.default_rng(11).random(8) >= 0.5) * 2.0)
