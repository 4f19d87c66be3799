"""PyTorch and Python habits on tensors: tuple indices and ag.max(a, b)."""

import numpy as np
import pytest

import autograd_lite as ag

# --- indexing with a tuple inside the index -------------------------------------------------------


def test_a_tuple_inside_an_index_is_a_list_of_indices():
    values = np.arange(6.0).reshape(2, 3)
    t = ag.tensor(values)
    np.testing.assert_array_equal(t[(1, 0), :].numpy(), values[[1, 0], :])
    np.testing.assert_array_equal(t[:, (2, 2, 0)].numpy(), values[:, [2, 2, 0]])
    assert t[(), :].shape == (0, 3)
    assert t[(1, 0)].item() == 3.0  # the outer tuple is still one index per axis


def test_a_tuple_index_scatters_the_gradient_with_repeats():
    x = ag.tensor(np.ones((2, 2)), requires_grad=True)
    x[(0, 0, 1), :].sum().backward()
    assert x.grad.numpy().tolist() == [[2.0, 2.0], [1.0, 1.0]]


# --- ag.max(a, b) --------------------------------------------------------------------------------


def test_max_and_min_with_a_tensor_as_second_argument_point_to_maximum_and_minimum():
    a, b = ag.tensor([1.0, 5.0]), ag.tensor([3.0, 2.0])
    with pytest.raises(TypeError, match=r"max: the second argument is an axis, but got a Tensor "
                                        r"of shape \(2,\); .* use ag.maximum\(a, b\)"):
        ag.max(a, b)
    with pytest.raises(TypeError, match=r"min: .* use ag.minimum\(a, b\)"):
        a.min(b)
    with pytest.raises(TypeError, match=r"ag.maximum"):
        ag.max(a, np.array([3.0, 2.0]))
    assert ag.maximum(a, b).numpy().tolist() == [3.0, 5.0]
