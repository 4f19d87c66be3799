"""In-place changes: allowed outside the graph, refused where they would corrupt a gradient."""

import numpy as np
import pytest

import autograd_lite as ag


def test_in_place_ops_change_data_and_return_the_tensor():
    x = ag.tensor([1.0, 2.0, 3.0])
    assert x.add_(1) is x
    x.mul_(ag.tensor([2.0, 2.0, 2.0])).sub_(1).div_(2)
    np.testing.assert_allclose(x.numpy(), [1.5, 2.5, 3.5])
    x[0] = 10.0
    x.copy_([7.0, 8.0, 9.0])
    np.testing.assert_array_equal(x.numpy(), [7.0, 8.0, 9.0])
    assert x.zero_().numpy().tolist() == [0.0, 0.0, 0.0]
    assert x.dtype == np.float32


def test_in_place_on_a_tensor_that_requires_grad_is_refused_with_grad_mode_on():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^add_: cannot change a tensor that requires grad"):
        w.add_(1)
    with pytest.raises(RuntimeError, match=r"^__setitem__: cannot change"):
        w[0] = 3.0
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])


def test_in_place_update_under_no_grad_is_allowed_like_an_optimizer_step():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with ag.no_grad():
        w.sub_(w.grad * 0.5)
    np.testing.assert_array_equal(w.numpy(), [0.0, 0.0])
    assert w.requires_grad and w.is_leaf


def test_backward_refuses_an_input_changed_after_it_was_saved():
    x = ag.tensor([1.0, 2.0])
    w = ag.tensor([3.0, 4.0], requires_grad=True)
    y = (w * x).sum()
    x.add_(1)
    with pytest.raises(RuntimeError,
                       match=r"input 1 of 'mul' \(shape \(2,\)\) was changed in place"):
        y.backward()


def test_backward_refuses_an_output_changed_after_its_op_ran():
    w = ag.tensor([0.0, 1.0], requires_grad=True)
    e = ag.exp(w)
    with ag.no_grad():
        e.mul_(2)
    with pytest.raises(RuntimeError, match=r"the output of 'exp' .* was changed in place"):
        e.sum().backward()


def test_change_before_use_is_fine():
    x = ag.tensor([1.0, 2.0])
    x.add_(1)
    w = ag.tensor([3.0, 4.0], requires_grad=True)
    (w * x).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 3.0])


def test_in_place_shape_and_dtype_errors_name_the_op():
    x = ag.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"^add_: .*shape \(2,\)"):
        x.add_(ag.ones(3))
    labels = ag.tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match=r"^mul_: "):
        labels.mul_(0.5)
