"""PyTorch and Python habits on tensors: format specs, == None, pickling and copying, .to(),
tuple indices, and ag.max(a, b)."""

import copy
import pickle

import numpy as np
import pytest

import autograd_lite as ag
import nn

# --- format specs ----------------------------------------------------------------------------


def test_a_0d_tensor_formats_like_a_python_float():
    loss = (ag.tensor([0.123456, 0.0], requires_grad=True) * 1.0).sum()
    assert f"{loss:.4f}" == "0.1235"
    assert f"{ag.tensor(3.0):>7.2f}" == "   3.00"
    assert f"{ag.tensor(np.array(0.5)):.1%}" == "50.0%"


def test_a_one_element_tensor_formats_like_its_item():
    assert f"{ag.tensor([[2.5]]):.2f}" == "2.50"
    assert f"{ag.tensor(np.array([7])):03d}" == "007"


def test_an_empty_format_spec_gives_str():
    t = ag.tensor([1.0, 2.0], requires_grad=True)
    assert f"{t}" == str(t) == repr(t)


def test_a_format_spec_on_a_bigger_tensor_raises_a_clear_type_error():
    with pytest.raises(TypeError, match=r"format: the spec '.4f' formats one number, but the "
                                        r"tensor has shape \(2,\)"):
        f"{ag.tensor([1.0, 2.0]):.4f}"


# --- == None -----------------------------------------------------------------------------------


def test_tensor_equals_none_is_false_and_not_equal_none_is_true():
    t = ag.tensor([1.0, 2.0])
    assert (t == None) is False  # noqa: E711 - the comparison is what is being tested
    assert (t != None) is True  # noqa: E711
    assert None not in [t]
    assert (t == t).numpy().tolist() == [True, True]  # tensors still compare elementwise


# --- pickling and copying ------------------------------------------------------------------------


def test_pickling_a_leaf_keeps_data_name_requires_grad_and_grad():
    w = ag.tensor([1.0, 2.0], requires_grad=True, name="w")
    (w * w).sum().backward()
    restored = pickle.loads(pickle.dumps(w))
    assert restored.numpy().tolist() == [1.0, 2.0] and restored.dtype == np.float32
    assert restored.name == "w" and restored.requires_grad and restored.is_leaf
    assert restored.grad.numpy().tolist() == [2.0, 4.0]


def test_pickling_a_non_leaf_gives_a_detached_copy_of_its_data():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 3).exp().log()
    restored = pickle.loads(pickle.dumps(y))
    np.testing.assert_allclose(restored.numpy(), [3.0, 6.0], rtol=1e-6)
    assert restored.is_leaf and not restored.requires_grad and restored.grad is None


def test_a_pickled_parameter_stays_a_parameter():
    restored = pickle.loads(pickle.dumps(nn.Parameter(ag.tensor([0.5]))))
    assert type(restored) is nn.Parameter and restored.requires_grad


def test_deepcopy_of_a_tensor_owns_its_data():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    clone = copy.deepcopy(x)
    clone.data[0] = 9.0
    assert x.numpy().tolist() == [1.0, 2.0] and clone.requires_grad


class _TiedPair(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Linear(2, 2)
        self.second = nn.Linear(2, 2)
        self.second.weight = self.first.weight  # one parameter under two names
        self.norm = nn.BatchNorm1d(2)

    def forward(self, x):
        return self.norm(self.second(self.first(x)))


def test_deepcopy_of_a_module_copies_parameters_buffers_and_ties():
    model = _TiedPair()
    model(ag.randn(4, 2))  # moves the running statistics away from their initial values
    clone = copy.deepcopy(model)
    x = ag.randn(4, 2)
    np.testing.assert_array_equal(clone(x).numpy(), model(x).numpy())
    assert clone.second.weight is clone.first.weight
    assert clone.first.weight is not model.first.weight
    np.testing.assert_array_equal(clone.norm.running_mean.numpy(),
                                  model.norm.running_mean.numpy())
    with ag.no_grad():
        clone.first.weight.fill_(0.0)
        clone.norm.running_mean.fill_(0.0)
    assert np.abs(model.first.weight.numpy()).sum() > 0
    assert np.abs(model.norm.running_mean.numpy()).sum() > 0


def test_nn_load_refuses_a_pickled_tensor(tmp_path):
    path = tmp_path / "state.npz"
    np.savez(path, w=np.array([ag.tensor([1.0])], dtype=object))
    with pytest.raises(ValueError, match="cannot be read without pickle"):
        nn.load(path)


# --- .to() and .device ------------------------------------------------------------------------


def test_tensor_to_a_dtype_converts_differentiably():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(np.float64)
    assert y.dtype == np.float64 and y.op_name == "astype"
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.numpy().tolist() == [2.0, 4.0]


def test_tensor_to_follows_pytorchs_signatures():
    x = ag.tensor([1.0, 2.0])
    other = ag.tensor(np.zeros(1))
    assert x.to("cpu") is x and x.to(x.dtype) is x and x.to(device="cpu") is x
    assert x.to("cpu", "float64").dtype == np.float64
    assert x.to(device="cpu", dtype=np.float64).dtype == np.float64
    assert x.to(other).dtype == np.float64
    assert x.to("float16", non_blocking=True).dtype == np.float16
    copied = x.to(np.float32, copy=True)
    assert copied is not x and copied.numpy().tolist() == [1.0, 2.0]
    assert x.device == "cpu"


@pytest.mark.parametrize("device", ["cuda", "cuda:1", "mps", 0])
def test_tensor_to_another_device_says_autograd_lite_runs_on_the_cpu(device):
    with pytest.raises(RuntimeError, match=r"Tensor.to: autograd_lite runs on the CPU only, so "
                                           r"device .* is not available"):
        ag.tensor([1.0]).to(device)


def test_tensor_to_rejects_what_is_neither_a_dtype_nor_a_device():
    with pytest.raises(TypeError, match=r"Tensor.to: 'float99' is neither a dtype"):
        ag.tensor([1.0]).to("float99")
    with pytest.raises(TypeError, match=r"Tensor.to: unexpected keyword 'memory'"):
        ag.tensor([1.0]).to(memory=1)


def test_module_to_converts_parameters_and_buffers_in_place_and_returns_the_module():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    weight = model[0].weight
    assert model.to("cpu") is model and weight.dtype == np.float32
    assert model.to("cpu", np.float64) is model
    assert model[0].weight is weight and weight.dtype == np.float64
    assert model[1].running_mean.dtype == np.float64
    assert model.to(dtype="float32").to(ag.tensor(np.zeros(1)))[0].bias.dtype == np.float64


def test_module_to_another_device_or_an_integer_dtype_is_refused():
    with pytest.raises(RuntimeError, match="Module.to: autograd_lite runs on the CPU only"):
        nn.Linear(2, 2).to("cuda")
    with pytest.raises(TypeError, match="Module.to: expected a float dtype, got int32"):
        nn.Linear(2, 2).to(np.int32)


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
