"""The nn writers (load_state_dict, BatchNorm's running statistics) go through the one in-place
mechanism: a backward through a value saved before their write raises, naming the writer."""

import numpy as np
import pytest

import autograd_lite as ag
import nn


def test_backward_through_weights_replaced_by_load_state_dict_is_refused():
    ag.manual_seed(0)
    model = nn.Linear(2, 1)
    saved = {name: value.numpy() + 1.0 for name, value in model.state_dict().items()}
    out = model(ag.ones(3, 2)).sum()
    model.load_state_dict(saved)
    with pytest.raises(RuntimeError, match=r"^backward: input 1 of 'add' \(shape \(1,\)\) "
                                           r"was changed in place by load_state_dict after"):
        out.backward()
    np.testing.assert_array_equal(model.weight.numpy(), saved["weight"])


def test_a_forward_after_load_state_dict_differentiates_the_loaded_weights():
    model = nn.Linear(2, 1)
    model.load_state_dict({"weight": np.array([[2.0, -1.0]]), "bias": np.array([0.5])})
    x = ag.tensor([[1.0, 3.0], [2.0, 1.0]])
    model(x).sum().backward()
    np.testing.assert_array_equal(model.weight.grad.numpy(), [[3.0, 4.0]])  # column sums of x


@pytest.mark.parametrize("buffer", ["running_mean", "running_var", "num_batches_tracked"])
def test_batchnorm_training_step_changes_its_statistics_in_place(buffer):
    bn = nn.BatchNorm1d(2)
    w = ag.tensor([1.0, 1.0], requires_grad=True)
    statistic = getattr(bn, buffer)
    used = (w * statistic).sum()  # mul saves the statistic to compute w's gradient
    before = statistic.numpy().copy()
    bn(ag.tensor([[1.0, 2.0], [3.0, 6.0]]))
    assert not np.array_equal(statistic.numpy(), before)
    with pytest.raises(RuntimeError, match=r"^backward: input 1 of 'mul' .* was changed in "
                                           r"place by BatchNorm running statistics after"):
        used.backward()


def test_batchnorm_in_eval_mode_leaves_its_statistics_alone():
    bn = nn.BatchNorm1d(2).eval()
    w = ag.tensor([1.0, 1.0], requires_grad=True)
    used = (w * bn.running_var).sum()
    bn(ag.tensor([[1.0, 2.0], [3.0, 6.0]]))
    used.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 1.0])  # running_var starts at ones
