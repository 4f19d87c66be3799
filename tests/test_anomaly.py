"""Anomaly mode: the first op that makes a NaN or Inf is named, with where it was created."""

import numpy as np
import pytest

import autograd_lite as ag


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
