"""Anomaly mode: the first op that makes a NaN or Inf is named, with where it was created."""

import re

import numpy as np
import pytest

import autograd_lite as ag
import nn


def test_forward_nan_names_the_op_and_shapes():
    x = ag.tensor([-1.0, 4.0], requires_grad=True)
    with ag.detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(RuntimeError, match=r"sqrt \(forward\) produced NaN .*shape \(2,\)"):
            ag.sqrt(x)


def test_backward_inf_names_the_op_and_where_it_was_created():
    x = ag.tensor([0.0, 4.0], requires_grad=True)
    with ag.detect_anomaly(), np.errstate(divide="ignore"):
        y = ag.sqrt(x)  # the line the report must point at
        with pytest.raises(RuntimeError) as error:
            y.sum().backward()
    message = str(error.value)
    assert "sqrt (backward, gradient of input 0) produced Inf" in message
    assert "test_anomaly.py" in message and "y = ag.sqrt(x)" in message


def test_finite_computations_pass_unchanged_in_anomaly_mode():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.detect_anomaly():
        (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])


def test_anomaly_mode_is_off_by_default_and_records_nothing():
    x = ag.tensor([0.0, 4.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        y = ag.sqrt(x)
        y.sum().backward()
    assert y._trace is None
    assert np.isinf(x.grad.numpy()[0])


def test_anomaly_mode_restores_the_previous_state_after_an_error():
    with pytest.raises(ValueError):
        with ag.detect_anomaly():
            raise ValueError("inside")
    x = ag.tensor([-1.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        assert np.isnan(ag.sqrt(x).item())


# --- an input that is already NaN/Inf is named instead of the op --------------------------


def _anomaly_message(run):
    with ag.detect_anomaly(), np.errstate(all="ignore"):
        with pytest.raises(RuntimeError) as error:
            run()
    return str(error.value).splitlines()[0]


def test_forward_names_a_leaf_that_already_held_inf_instead_of_the_op():
    w = ag.tensor([1.0, np.inf], requires_grad=True)
    assert _anomaly_message(lambda: w * 2) == (
        "detect_anomaly: input 0 of mul (forward), shape (2,) float32, already contains Inf, "
        "so mul did not make it: it is a leaf tensor that held it before this op; check how it "
        "was created or loaded. The op was created at:")


class _TensorWithWriter(ag.Tensor):
    """A tensor that records who changed it, as ag.mark_changed_in_place does."""


def test_forward_names_who_last_changed_a_non_finite_input():
    w = _TensorWithWriter([[np.inf, 1.0]], requires_grad=True)
    w._changed_by = "optimizer.step (SGD)"
    message = _anomaly_message(lambda: w.T)
    assert message.startswith("detect_anomaly: input 0 of transpose (forward), shape (1, 2) "
                              "float32, already contains Inf, so transpose did not make it: it "
                              "was last changed by optimizer.step (SGD); ")


def test_forward_after_an_optimizer_step_made_the_weights_inf_blames_the_weights():
    model = nn.Linear(2, 1)
    model.weight.grad = ag.tensor(np.full((1, 2), np.inf))
    nn.optim.SGD(model.parameters(), lr=0.1).step()
    message = _anomaly_message(lambda: model(ag.ones(3, 2)))
    assert re.match(r"detect_anomaly: input 0 of transpose \(forward\), shape \(1, 2\) float32, "
                    r"already contains Inf, so transpose did not make it: ", message)


def test_forward_names_a_value_changed_in_place():
    data = ag.tensor([1.0, 2.0])
    data.fill_(np.nan)
    message = _anomaly_message(lambda: ag.exp(data))
    # After fill_ the writer is named if the tensor records one, else the in-place change.
    assert re.match(r"detect_anomaly: input 0 of exp \(forward\), shape \(2,\) float32, already "
                    r"contains NaN, so exp did not make it: it was last changed (by "
                    r"Tensor\.fill_|in place)", message)


def test_forward_names_a_non_finite_constant_operand():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    message = _anomaly_message(lambda: x * float("nan"))
    assert re.match(r"detect_anomaly: input 1 of mul \(forward\), shape \(\) float\d+, already "
                    r"contains NaN, so mul did not make it: it is a constant operand; pass "
                    r"finite values\.", message)


def test_backward_names_a_saved_input_made_outside_anomaly_mode():
    x = ag.tensor([1.0, 1000.0], dtype="float64", requires_grad=True)
    z = ag.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    with np.errstate(over="ignore"):
        loss = (ag.exp(x) * z).sum()  # exp(1000) = inf, outside anomaly mode
    message = _anomaly_message(loss.backward)
    assert message == (
        "detect_anomaly: input 0 of mul (backward, gradient of input 1), shape (2,) float64, "
        "already contains Inf, so mul did not make it: it was produced by 'exp' before anomaly "
        "mode was turned on; turn it on earlier to find the op that made it. The op was created "
        "at:")


def test_backward_names_a_saved_output_that_is_already_inf():
    x = ag.tensor([1.0, 1000.0], dtype="float64", requires_grad=True)
    with np.errstate(over="ignore"):
        loss = ag.exp(x).sum()  # exp's VJP multiplies by its output, inf
    message = _anomaly_message(loss.backward)
    assert message.startswith("detect_anomaly: the output of exp (backward, gradient of input "
                              "0), shape (2,) float64, already contains Inf, so exp did not "
                              "make it: it was produced by 'exp' before anomaly mode")


def test_backward_from_finite_values_still_names_the_op():
    x = ag.tensor([0.0, 4.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        loss = ag.sqrt(x).sum()  # finite forward; sqrt'(0) is infinite
    assert _anomaly_message(loss.backward).startswith(
        "detect_anomaly: sqrt (backward, gradient of input 0) produced Inf")


def test_backward_names_a_non_finite_gradient_given_to_it():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    doubled = x * 2
    message = _anomaly_message(lambda: doubled.backward(np.array([1.0, np.nan])))
    assert message == ("detect_anomaly: the gradient given to backward for output 0 (shape "
                       "(2,)) contains NaN; pass a finite gradient")


def test_backward_names_a_hook_that_returned_nan():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 2
    hidden.register_hook(lambda grad: np.full(2, np.nan))
    loss = (hidden * 3).sum()
    assert _anomaly_message(loss.backward) == (
        "detect_anomaly: a hook registered on the output of 'mul' (shape (2,), float32) "
        "returned a gradient that contains NaN; return a finite gradient (or None to keep it)")


def test_backward_names_a_sum_of_finite_gradients_that_overflows():
    x = ag.tensor([1e-3], requires_grad=True)
    loss = (x * 3e38 + x * 3e38).sum()  # each path gives 3e38, their sum overflows float32
    assert _anomaly_message(loss.backward) == (
        "detect_anomaly: the gradients flowing into a leaf tensor (shape (1,), float32) are "
        "finite, but their sum overflows to Inf in float32; scale the loss down or compute in "
        "float64")
