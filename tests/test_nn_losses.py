"""Losses: values against NumPy formulas, gradients by gradcheck, stability at extreme inputs,
and errors that name the loss and the shapes."""

import numpy as np
import pytest
from nn_registry import LOSS_CASES, check_forward, check_gradients

import autograd_lite as ag
import nn
import nn.functional as F


@pytest.mark.parametrize("case", LOSS_CASES, ids=[c.name for c in LOSS_CASES])
def test_forward_matches_numpy_formula(case):
    check_forward(case)


@pytest.mark.parametrize("case", LOSS_CASES, ids=[c.name for c in LOSS_CASES])
def test_gradients_match_finite_differences(case):
    check_gradients(case)


@pytest.mark.parametrize("reduction, expected", [
    ("mean", 2.5), ("sum", 5.0), ("none", [4.0, 1.0])])
def test_reductions(reduction, expected):
    loss = F.mse_loss(ag.tensor([3.0, 1.0]), ag.tensor([1.0, 0.0]), reduction=reduction)
    np.testing.assert_array_equal(loss.data, expected)


def test_unknown_reduction_is_rejected_by_module_and_function():
    with pytest.raises(ValueError, match=r"MSELoss: reduction must be one of"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match=r"l1_loss: reduction must be one of"):
        F.l1_loss(ag.zeros(2), ag.zeros(2), reduction="avg")


def test_mismatched_shapes_name_the_loss_and_both_shapes():
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(4, 1\) and target shape "
                                         r"\(4,\) differ"):
        nn.MSELoss()(ag.zeros(4, 1), ag.zeros(4))


def test_bce_never_returns_inf_and_has_finite_gradient_at_zero_and_one():
    p = ag.tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    loss = F.binary_cross_entropy(p, ag.tensor([1.0, 0.0, 0.0, 1.0]), reduction="none")
    np.testing.assert_array_equal(loss.data, [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    assert np.isfinite(p.grad.data).all()


def test_bce_rejects_probabilities_outside_the_unit_interval():
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input values must lie in "
                                         r"\[0, 1\], got values from -0.5 to 2.0.*sigmoid"):
        nn.BCELoss()(ag.tensor([-0.5, 2.0]), ag.tensor([0.0, 1.0]))


def test_bce_with_logits_is_exact_and_finite_at_plus_minus_1000():
    x = ag.tensor(np.array([1000.0, -1000.0, 1000.0, -1000.0]), requires_grad=True)
    target = ag.tensor(np.array([1.0, 0.0, 0.0, 1.0]))
    loss = F.binary_cross_entropy_with_logits(x, target, reduction="none")
    np.testing.assert_array_equal(loss.data, [0.0, 0.0, 1000.0, 1000.0])
    loss.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 1.0, -1.0])


def test_bce_with_logits_matches_bce_of_sigmoid():
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=6), rng.uniform(size=6)
    expected = F.binary_cross_entropy(ag.sigmoid(ag.tensor(x)), ag.tensor(t))
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(x, t).data, expected.data,
                               rtol=1e-12)


def test_cross_entropy_is_finite_for_extreme_logits():
    logits = ag.tensor([[1000.0, -1000.0, 0.0], [-1e4, 1e4, 0.0]], requires_grad=True)
    loss = F.cross_entropy(logits, np.array([1, 1]), reduction="none")
    np.testing.assert_allclose(loss.data, [2000.0, 0.0])
    loss.sum().backward()
    np.testing.assert_allclose(logits.grad.data, [[1, -1, 0], [0, 0, 0]], atol=1e-6)


def test_losses_keep_float32_with_float64_numpy_options():
    logits, weight = ag.randn(3, 4, requires_grad=True), np.array([1.0, 2.0, 1.0, 0.5])
    probabilities = ag.softmax(ag.randn(3, 4))
    assert F.cross_entropy(logits, np.array([0, 1, 3]), weight=weight).dtype == np.float32
    assert F.cross_entropy(logits, probabilities, weight=weight).dtype == np.float32
    assert F.binary_cross_entropy_with_logits(logits, probabilities, weight=weight,
                                              pos_weight=weight).dtype == np.float32


def test_cross_entropy_of_one_unbatched_example():
    logits = np.array([1.0, 2.0, 0.5])
    expected = -(logits[1] - np.log(np.exp(logits).sum()))
    np.testing.assert_allclose(F.cross_entropy(ag.tensor(logits), np.array(1)).data, expected)


def test_cross_entropy_ignored_targets_do_not_count_in_the_mean():
    logits = ag.tensor(np.array([[2.0, 0.0], [0.0, 5.0], [1.0, 1.0]]))
    loss = F.cross_entropy(logits, np.array([0, -100, 0]))
    expected = (np.log1p(np.exp(-2.0)) + np.log(2.0)) / 2
    np.testing.assert_allclose(loss.data, expected)


def test_cross_entropy_names_shapes_for_wrong_target_shape():
    with pytest.raises(ValueError, match=r"cross_entropy: input of shape \(4, 3\) needs class "
                                         r"targets of shape \(4,\).*got target shape \(4, 1\)"):
        F.cross_entropy(ag.randn(4, 3), np.zeros((4, 1), dtype=np.int64))


def test_cross_entropy_names_shapes_for_class_out_of_range():
    with pytest.raises(IndexError, match=r"cross_entropy: target class 3 is out of range for 3 "
                                         r"classes \(input shape \(2, 3\), target shape \(2,\)\)"):
        nn.CrossEntropyLoss()(ag.randn(2, 3), np.array([0, 3]))


def test_cross_entropy_explains_float_class_labels():
    with pytest.raises(ValueError, match=r"astype\('int64'\)"):
        F.cross_entropy(ag.randn(2, 3), ag.tensor([0.0, 2.0]))


def test_nll_loss_rejects_a_class_weight_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"nll_loss: weight must have one entry per class, "
                                         r"shape \(3,\)"):
        F.nll_loss(ag.randn(2, 3), np.array([0, 1]), weight=np.ones(2))


def test_l1_gradient_at_zero_difference_is_zero():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    F.l1_loss(x, ag.tensor([1.0, 0.0]), reduction="sum").backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 1.0])


def test_smooth_l1_with_beta_zero_is_l1():
    x, t = ag.tensor([0.5, -3.0]), ag.tensor([0.0, 0.0])
    np.testing.assert_array_equal(F.smooth_l1_loss(x, t, beta=0.0).data, F.l1_loss(x, t).data)
