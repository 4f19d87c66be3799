"""Errors are part of the interface: each names the op and the shapes/dtypes involved."""

import numpy as np
import pytest

import autograd_lite as ag


@pytest.fixture
def x():
    return ag.tensor(np.ones((2, 3)), requires_grad=True)


def test_misaligned_matmul_names_both_shapes(x):
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 2\) are not aligned "
                                         r"\(3 != 4\)"):
        x @ ag.ones(4, 2)
    with pytest.raises(ValueError, match=r"matmul: shapes \(3,\) and \(4,\) are not aligned"):
        ag.ones(3) @ ag.ones(4)


def test_matmul_with_unbroadcastable_batches_or_scalars(x):
    with pytest.raises(ValueError, match=r"matmul: the batch dimensions of \(2, 2, 3\) and "
                                         r"\(3, 3, 1\) cannot be broadcast"):
        ag.ones(2, 2, 3) @ ag.ones(3, 3, 1)
    with pytest.raises(ValueError, match=r"matmul: operands must have at least one dimension"):
        ag.matmul(x, 2.0)


@pytest.mark.parametrize("operation, name", [
    (lambda a, b: a + b, "add"), (lambda a, b: a - b, "sub"), (lambda a, b: a * b, "mul"),
    (lambda a, b: a / b, "div"), (lambda a, b: a ** b, "pow"), (ag.maximum, "maximum"),
])
def test_incompatible_broadcast_names_the_op_and_shapes(x, operation, name):
    with pytest.raises(ValueError, match=rf"{name}: shapes \(2, 3\) and \(4,\) cannot be "
                                         r"broadcast together"):
        operation(x, ag.ones(4))


def test_incompatible_broadcast_with_an_ndarray_operand(x):
    with pytest.raises(ValueError, match=r"add: shapes \(3, 2\) and \(2, 3\) cannot be broadcast"):
        np.ones((3, 2)) + x
    with pytest.raises(ValueError, match=r"broadcast_to: cannot broadcast shape \(2, 3\) to "
                                         r"\(3, 3\)"):
        x.broadcast_to((3, 3))


@pytest.mark.parametrize("reduce, name", [
    (ag.sum, "sum"), (ag.mean, "mean"), (ag.max, "max"), (ag.min, "min"),
    (ag.logsumexp, "logsumexp"), (ag.var, "var"), (ag.prod, "prod"), (ag.argmax, "argmax"),
    (ag.softmax, "softmax"), (ag.log_softmax, "log_softmax"), (ag.squeeze, "squeeze"),
    (ag.flip, "flip"),
])
def test_bad_axis_names_the_op_and_the_dimensions(x, reduce, name):
    with pytest.raises(ValueError, match=rf"{name}: axis 2 is out of range for a tensor with 2 "
                                         r"dimensions"):
        reduce(x, axis=2)


def test_non_integer_and_repeated_axes(x):
    with pytest.raises(TypeError, match=r"sum: axis must be an int or a tuple of ints, got 1.0"):
        x.sum(axis=1.0)
    with pytest.raises(ValueError, match=r"mean: repeated axis in \(1, -1\)"):
        x.mean(axis=(1, -1))


@pytest.mark.parametrize("shape", [(4, 2), (-1, 4), (7,), (-1, -1)])
def test_reshape_to_a_wrong_size_names_both_shapes(x, shape):
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\) "
                                         r"\(6 elements\) into shape"):
        x.reshape(shape)


@pytest.mark.parametrize("index, message", [
    (2, r"index 2 is out of bounds for axis 0 with size 2"),
    ((0, 3), r"index 3 is out of bounds for axis 1 with size 3"),
    (-3, r"index -3 is out of bounds for axis 0 with size 2"),
    ([0, 5], r"index 5 is out of bounds for axis 0 with size 2"),
    ((0, 0, 0), r"too many indices"),
    (np.array([True, False, True]), r"boolean index did not match"),
    (1.5, r"unsupported index 1.5"),
    (np.array([0.0, 1.0]), r"arrays used as indices must be integer or boolean, got dtype "
                           r"float64"),
])
def test_bad_index_raises_index_error_naming_getitem(x, index, message):
    with pytest.raises(IndexError, match=rf"getitem: {message}"):
        x[index]


def test_backward_on_a_non_scalar_without_a_gradient(x):
    with pytest.raises(RuntimeError, match=r"backward: the output has shape \(2, 3\).*call "
                                           r"\.backward\(gradient\) with a gradient of shape "
                                           r"\(2, 3\), or reduce the output to a scalar"):
        (x * 2).backward()


def test_backward_with_a_gradient_of_the_wrong_shape(x):
    with pytest.raises(ValueError, match=r"backward: the gradient has shape \(3,\) but the "
                                         r"output has shape \(2, 3\)"):
        (x * 2).backward(np.ones(3))


def test_backward_on_a_tensor_without_grad():
    with pytest.raises(RuntimeError, match=r"backward: the tensor does not require grad"):
        ag.ones(2).sum().backward()


def test_requires_grad_on_integer_data():
    with pytest.raises(TypeError, match=r"requires_grad: only float tensors can require grad, "
                                        r"but this tensor has dtype int64"):
        ag.tensor(np.array([1, 2]), requires_grad=True)
    with pytest.raises(TypeError, match=r"requires_grad: .*dtype int64"):
        ag.arange(3, requires_grad=True)


@pytest.mark.parametrize("build, error, message", [
    (lambda x: ag.concatenate([x, ag.ones(2, 2)]), ValueError,
     r"concatenate: shapes \[\(2, 3\), \(2, 2\)\] differ outside axis 0"),
    (lambda x: ag.stack([x, ag.ones(2, 2)]), ValueError,
     r"stack: all tensors need the same shape"),
    (lambda x: ag.split(x, 2, axis=1), ValueError,
     r"split: axis 1 of size 3 cannot be split into 2 equal sections"),
    (lambda x: x.squeeze(0), ValueError, r"squeeze: axis 0 of shape \(2, 3\) has size 2, not 1"),
    (lambda x: x.transpose((0, 0)), ValueError, r"transpose: repeated axis"),
    (lambda x: ag.where(x, x, x), TypeError, r"where: condition must be boolean, got dtype "
                                             r"float64"),
    (lambda x: ag.dot(ag.ones(2, 2, 4), x), ValueError,
     r"dot: shapes \(2, 2, 4\) and \(2, 3\) are not aligned: the last axis of a \(4\)"),
    (lambda x: ag.outer(x, x), ValueError, r"outer: expects 1-D operands, got shapes \(2, 3\)"),
    (lambda x: ag.var(x[0, :1], ddof=1), ValueError, r"var: 1 elements .* too few for ddof=1"),
    (lambda x: x.flatten(1, 0), ValueError, r"flatten: start_axis 1 comes after end_axis 0"),
    (lambda x: ag.max(x[:, :0], axis=1), ValueError, r"max: cannot reduce over an empty axis"),
    (lambda x: x * "a", TypeError, r"mul: unsupported operand of type str"),
])
def test_shape_and_argument_errors_name_the_op(x, build, error, message):
    with pytest.raises(error, match=message):
        build(x)


def test_a_failing_op_leaves_no_partial_graph_behind(x):
    with pytest.raises(ValueError):
        x @ ag.ones(4, 2)
    with pytest.raises(ValueError):
        ag.stack([x, x, ag.ones(3)])
    assert x.grad is None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 3.0))


def test_a_failing_backward_leaves_no_gradient_behind(x):
    loss = (x * 2).sum()

    def failing_hook(grad):
        raise ArithmeticError("boom")

    handle = x.register_hook(failing_hook)
    with pytest.raises(ArithmeticError, match="boom"):
        loss.backward(retain_graph=True)
    assert x.grad is None
    handle.remove()
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))


def test_registering_a_hook_or_retaining_grad_needs_requires_grad():
    constant = ag.ones(2)
    with pytest.raises(RuntimeError, match=r"register_hook: cannot register a hook on a tensor "
                                           r"that does not require grad"):
        constant.register_hook(print)
    with pytest.raises(RuntimeError, match=r"retain_grad: the tensor does not require grad"):
        constant.retain_grad()
