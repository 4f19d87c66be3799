"""In-place changes: allowed outside the graph, refused where they would corrupt a gradient."""

import re

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


def test_in_place_on_a_leaf_that_requires_grad_is_refused_with_grad_mode_on():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError,
                       match=r"^add_: cannot change a leaf tensor that requires grad"):
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


# --- augmented assignment is in place, as in NumPy and PyTorch ---------------------------------


def test_augmented_assignment_changes_the_tensor_every_reference_sees():
    x = ag.ones(3)
    y = x
    array = x.numpy()
    x += 1
    assert x is y
    np.testing.assert_array_equal(y.numpy(), [2.0, 2.0, 2.0])
    x *= 3
    np.testing.assert_array_equal(array, [6.0, 6.0, 6.0])  # the same array, changed in place


def test_each_augmented_operator_updates_a_parameter_under_no_grad():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    alias = w
    with ag.no_grad():
        w += 1  # [2, 3]
        w -= 0.5  # [1.5, 2.5]
        w *= ag.tensor([2.0, 2.0])  # [3, 5]
        w /= 4  # [0.75, 1.25]
        w **= 2  # [0.5625, 1.5625]
    assert w is alias and w.is_leaf and w.requires_grad and w.dtype == np.float32
    np.testing.assert_array_equal(w.numpy(), [0.5625, 1.5625])


@pytest.mark.parametrize("statement", ["w += 1", "w -= 1", "w *= 2", "w /= 2", "w **= 2"])
def test_augmented_assignment_on_a_leaf_that_requires_grad_is_refused(statement):
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    symbol = re.escape(statement.split()[1])
    with pytest.raises(RuntimeError, match=rf"^{symbol}: cannot change a leaf tensor that "
                                           rf"requires grad .*`with ag.no_grad\(\):`"):
        exec(statement, {"w": w})
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])


def test_gradient_descent_loop_with_augmented_assignment_trains():
    """PyTorch's and micrograd's loop: ``p -= lr * p.grad`` under no_grad, then zero the grad."""
    x = np.array([[1.0, 2.0], [2.0, 0.5], [-1.0, 1.0], [0.5, -2.0]])
    y = np.array([1.0, 2.0, -1.0, 0.5])
    w, b = ag.tensor([0.0, 0.0], requires_grad=True), ag.tensor(0.0, requires_grad=True)
    w_np, b_np, lr, losses = np.zeros(2), 0.0, 0.05, []
    for _ in range(100):
        loss = ((ag.tensor(x) @ w + b - ag.tensor(y)) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        with ag.no_grad():
            for p in (w, b):
                p -= lr * p.grad
                p.grad.zero_()
        residual = x @ w_np + b_np - y  # the same step by hand: d/dw mean(r^2) = 2/N x^T r
        w_np, b_np = w_np - lr * 2 * x.T @ residual / 4, b_np - lr * 2 * residual.mean()
    assert losses[-1] < 0.5 * losses[0]
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    np.testing.assert_allclose(w.numpy(), w_np, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(b.item(), b_np, rtol=1e-4, atol=1e-6)


def test_updates_through_data_train_with_an_array_or_a_tensor_on_the_right():
    """micrograd's ``p.data += -lr * p.grad``, with the gradient's array or with the Tensor."""
    w = ag.tensor([3.0, -2.0], requires_grad=True)
    losses = []
    for step in range(20):
        loss = (w * w).sum()
        losses.append(loss.item())
        loss.backward()
        if step % 2:
            w.data += -0.1 * w.grad.data
        else:
            w.data = w.data - 0.1 * w.grad  # a Tensor: data takes its array
        w.grad = None
    assert isinstance(w.data, np.ndarray) and w.is_leaf
    np.testing.assert_allclose(w.numpy(), np.array([3.0, -2.0]) * 0.8 ** 20, rtol=1e-5)
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))


# --- on a tensor computed by an op, with grad mode on: recorded like PyTorch -------------------


def test_in_place_add_on_a_computed_tensor_gives_pytorchs_gradient():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    alias = y
    y += 1
    assert y is alias and y.op_name == "add" and not y.is_leaf
    np.testing.assert_array_equal(y.numpy(), [3.0, 5.0, 7.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


@pytest.mark.parametrize("build, expected_grad", [
    (lambda x: _then(x * 2, lambda y: y.__isub__(x * x)), [0.0, -2.0, -4.0]),  # 2 - 2x
    (lambda x: _then(x * x, lambda y: y.__imul__(x)), [3.0, 12.0, 27.0]),  # 3x^2
    (lambda x: _then(x * 3, lambda y: y.__ipow__(2)), [18.0, 36.0, 54.0]),  # 18x
    (lambda x: _then(x + 1, lambda y: y.__itruediv__(x)), [-1.0, -0.25, -1 / 9]),  # -1/x^2
    (lambda x: _then(x * 1, lambda y: y.__iadd__(y)), [2.0, 2.0, 2.0]),  # 2x
    (lambda x: _then(x * 1, lambda y: y.__imul__(y)), [2.0, 4.0, 6.0]),  # x^2
    (lambda x: _then(x * 1, lambda y: y.mul_(3).add_(x)), [4.0, 4.0, 4.0]),  # 3x + x
], ids=["sub", "mul", "pow", "div", "add itself", "mul itself", "methods"])
def test_in_place_ops_on_computed_tensors_match_gradients_by_hand(build, expected_grad):
    x = ag.tensor([1.0, 2.0, 3.0], dtype="float64", requires_grad=True)
    build(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), expected_grad, rtol=1e-12)


def _then(y, update):
    """Apply an in-place ``update`` to ``y`` and return ``y`` itself (not update's result)."""
    assert update(y) is y
    return y


def test_the_old_value_stays_available_to_the_op_that_made_it():
    x = ag.tensor([0.0, 1.0], dtype="float64", requires_grad=True)
    y = x.exp()
    y *= 3  # exp's gradient needs exp(x), the value before the change
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.exp([0.0, 1.0]), rtol=1e-12)


def test_a_constant_changed_by_a_tensor_that_requires_grad_joins_the_graph():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    c = ag.full((2,), 2.0)
    c *= w  # the gradient of w is the old value of c
    assert c.requires_grad and not c.is_leaf
    c.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0])


def test_backward_through_an_earlier_use_of_a_changed_tensor_is_refused():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    z = (y * y).sum()
    y += 1
    with pytest.raises(RuntimeError, match=r"^backward: input 0 of 'mul' \(shape \(3,\)\) was "
                                           r"changed in place by \+= \(in place\) after 'mul'"):
        z.backward()


def test_hooks_see_the_value_they_were_registered_on_and_retain_grad_the_new_one():
    """As PyTorch documents: hooks registered before an in-place change get the gradient of
    the old value; ``retain_grad`` gives the gradient of the new one."""
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    y.retain_grad()
    y *= 3
    y.sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])


def test_a_recorded_in_place_op_that_does_not_fit_changes_nothing():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    with pytest.raises(ValueError, match=r"^\+=: non-broadcastable output operand with shape "
                                         r"\(3,\) doesn't match the broadcast shape \(2, 3\)"):
        y += ag.ones(2, 3)
    labels = ag.tensor(np.array([1, 2]))
    w = ag.tensor([0.5, 0.5], requires_grad=True)
    with pytest.raises(TypeError, match=r"^\*=: Cannot cast ufunc 'multiply' output from "
                                        r"dtype\('float32'\) to dtype\('int64'\)"):
        labels *= w
    assert y.op_name == "mul" and labels.is_leaf and not labels.requires_grad
    np.testing.assert_array_equal(y.numpy(), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(labels.numpy(), [1, 2])


def test_augmented_assignment_casts_like_numpy_same_kind():
    labels = ag.tensor(np.array([1, 2, 3]))
    labels += 1
    assert labels.dtype == np.int64 and labels.tolist() == [2, 3, 4]
    with pytest.raises(TypeError, match=r"^\+=: Cannot cast ufunc 'add' output from "
                                        r"dtype\('float64'\) to dtype\('int64'\)"):
        labels += 0.5
    with pytest.raises(TypeError, match=r"^/=: Cannot cast ufunc 'divide' output"):
        labels /= 2
    assert labels.tolist() == [2, 3, 4]
    x = ag.ones(2)
    x += np.array([0.5, 0.25], dtype=np.float64)  # float64 -> float32 is same kind
    assert x.dtype == np.float32 and x.tolist() == [1.5, 1.25]


# --- writers that record no graph --------------------------------------------------------------


def test_copy_from_a_tensor_that_requires_grad_is_refused_with_grad_mode_on():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    buffer = ag.zeros(2)
    with pytest.raises(RuntimeError, match=r"^copy_: the source requires grad, but copy_ "
                                           r"records no graph"):
        buffer.copy_(w)
    with pytest.raises(RuntimeError, match=r"^__setitem__: the source requires grad"):
        buffer[0] = w[1]
    np.testing.assert_array_equal(buffer.numpy(), [0.0, 0.0])
    with ag.no_grad():
        buffer.copy_(w)
    np.testing.assert_array_equal(buffer.numpy(), [1.0, 2.0])


def test_fill_on_a_computed_tensor_is_refused_with_grad_mode_on():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"^fill_: cannot change a tensor computed by 'mul' "
                                           r"in place while grad mode is on"):
        y.fill_(0)
    with pytest.raises(RuntimeError, match=r"^__setitem__: cannot change a tensor computed"):
        y[0] = 1.0
    np.testing.assert_array_equal(y.numpy(), [2.0, 4.0])


# --- Tensor.data ---------------------------------------------------------------------------------


def test_data_assignment_replaces_the_array_outside_the_graph():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    w.data = np.array([5.0, 6.0], dtype=np.float32)
    np.testing.assert_array_equal(w.numpy(), [5.0, 6.0])
    w.data = w * 2  # a Tensor gives its array; the graph it came from is not kept
    np.testing.assert_array_equal(w.numpy(), [10.0, 12.0])
    assert isinstance(w.data, np.ndarray) and w.is_leaf and w.requires_grad


@pytest.mark.parametrize("value, message", [
    ([1.0, 2.0], r"got a list"),
    (np.array(["a", "b"]), r"got an array of dtype <U1"),
    (np.array([1, 2]), r"the tensor requires grad, so its data must have a float dtype, got int64"),
])
def test_data_assignment_refuses_what_is_not_a_numeric_array(value, message):
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=rf"^Tensor.data: .*{message}"):
        w.data = value
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])


# --- every writer bumps the version, and backward names it -------------------------------------


def _write_with_data_assignment(x):
    x.data = np.array([7.0, 8.0], dtype=np.float32)


def _write_through_data_in_place(x):
    x.data -= 1.0  # NumPy changes the array, then Python assigns it back to x.data


WRITERS = [
    ("Tensor.add_", lambda x: x.add_(1)),
    ("Tensor.sub_", lambda x: x.sub_(1)),
    ("Tensor.mul_", lambda x: x.mul_(2)),
    ("Tensor.div_", lambda x: x.div_(2)),
    ("Tensor.fill_", lambda x: x.fill_(3)),
    ("Tensor.zero_", lambda x: x.zero_()),
    ("Tensor.copy_", lambda x: x.copy_([4.0, 5.0])),
    ("Tensor.__setitem__", lambda x: x.__setitem__(0, 9.0)),
    ("+= (in place)", lambda x: x.__iadd__(1)),
    ("-= (in place)", lambda x: x.__isub__(1)),
    ("*= (in place)", lambda x: x.__imul__(2)),
    ("/= (in place)", lambda x: x.__itruediv__(2)),
    ("**= (in place)", lambda x: x.__ipow__(2)),
    ("Tensor.data assignment", _write_with_data_assignment),
    ("Tensor.data assignment", _write_through_data_in_place),
]


@pytest.mark.parametrize("writer, write", WRITERS,
                         ids=[f"{name}-{index}" for index, (name, _) in enumerate(WRITERS)])
def test_backward_names_the_writer_that_changed_a_saved_value(writer, write):
    x = ag.tensor([1.0, 2.0])
    w = ag.tensor([3.0, 4.0], requires_grad=True)
    y = (w * x).sum()
    write(x)
    with pytest.raises(RuntimeError, match=r"^backward: input 1 of 'mul' \(shape \(2,\)\) was "
                                           rf"changed in place by {re.escape(writer)} after"):
        y.backward()
    assert w.grad is None
