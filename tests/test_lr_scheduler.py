"""Learning-rate schedules give PyTorch's values epoch by epoch."""

import math

import numpy as np
import pytest

import autograd_lite as ag
import nn


def sgd(lr=1.0, groups=1):
    return nn.optim.SGD([{"params": [ag.tensor([1.0], requires_grad=True)]}
                         for _ in range(groups)], lr=lr)


def lrs_over_epochs(scheduler, epochs):
    """The first group's lr at epochs 0 .. epochs-1 (the scheduler steps after each epoch)."""
    values = []
    for _ in range(epochs):
        values.append(scheduler.optimizer.param_groups[0]["lr"])
        scheduler.step()
    return values


def test_step_lr_decays_every_step_size_epochs():
    schedule = nn.lr_scheduler.StepLR(sgd(), step_size=3, gamma=0.1)
    np.testing.assert_allclose(lrs_over_epochs(schedule, 7),
                               [1, 1, 1, 0.1, 0.1, 0.1, 0.01], rtol=1e-12)


def test_multistep_lr_decays_at_milestones():
    schedule = nn.lr_scheduler.MultiStepLR(sgd(), milestones=[2, 5], gamma=0.5)
    np.testing.assert_allclose(lrs_over_epochs(schedule, 7),
                               [1, 1, 0.5, 0.5, 0.5, 0.25, 0.25], rtol=1e-12)


def test_exponential_lr():
    schedule = nn.lr_scheduler.ExponentialLR(sgd(lr=2.0), gamma=0.5)
    np.testing.assert_allclose(lrs_over_epochs(schedule, 4), [2, 1, 0.5, 0.25], rtol=1e-12)


def test_cosine_annealing_reaches_eta_min_at_t_max():
    schedule = nn.lr_scheduler.CosineAnnealingLR(sgd(lr=1.0), T_max=4, eta_min=0.2)
    half = 0.2 + 0.8 * (1 + math.cos(math.pi / 4)) / 2
    np.testing.assert_allclose(lrs_over_epochs(schedule, 5),
                               [1.0, half, 0.6, 1.2 - half, 0.2], rtol=1e-12)


def test_lambda_lr_per_group():
    optimizer = sgd(lr=1.0, groups=2)
    schedule = nn.lr_scheduler.LambdaLR(optimizer, [lambda e: 1 / (e + 1), lambda e: 0.5 ** e])
    schedule.step()
    schedule.step()
    assert schedule.get_last_lr() == pytest.approx([1 / 3, 0.25])
    with pytest.raises(ValueError, match="a list of 2 functions"):
        nn.lr_scheduler.LambdaLR(optimizer, [lambda e: 1.0])


def test_schedules_start_from_each_groups_initial_lr():
    optimizer = nn.optim.SGD([{"params": [ag.tensor([1.0], requires_grad=True)], "lr": 0.5},
                              {"params": [ag.tensor([1.0], requires_grad=True)]}], lr=0.1)
    schedule = nn.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.1)
    schedule.step()
    assert schedule.get_last_lr() == pytest.approx([0.05, 0.01])


def test_reduce_on_plateau_waits_patience_epochs():
    optimizer = sgd(lr=1.0)
    schedule = nn.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=1)
    lrs = []
    for value in [10, 9, 9, 9, 8, 8, 8]:
        schedule.step(value)
        lrs.append(schedule.get_last_lr()[0])
    assert lrs == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]


def test_reduce_on_plateau_cooldown_and_min_lr():
    schedule = nn.lr_scheduler.ReduceLROnPlateau(sgd(lr=1.0), factor=0.5, patience=0,
                                                 cooldown=1, min_lr=0.2)
    lrs = []
    for _ in range(6):
        schedule.step(10.0)
        lrs.append(schedule.get_last_lr()[0])
    assert lrs == [1, 0.5, 0.5, 0.25, 0.25, 0.2]


def test_reduce_on_plateau_max_mode_with_absolute_threshold():
    schedule = nn.lr_scheduler.ReduceLROnPlateau(sgd(lr=1.0), mode="max", factor=0.1,
                                                 patience=0, threshold=0.05,
                                                 threshold_mode="abs")
    schedule.step(0.5)
    schedule.step(0.54)  # not better by more than 0.05
    assert schedule.get_last_lr() == pytest.approx([0.1])
    schedule.step(0.7)
    assert schedule.get_last_lr() == pytest.approx([0.1]) and schedule.best == 0.7


def test_state_dict_round_trip():
    schedule = nn.lr_scheduler.StepLR(sgd(), step_size=2, gamma=0.5)
    for _ in range(3):
        schedule.step()
    resumed = nn.lr_scheduler.StepLR(sgd(), step_size=10, gamma=0.9)
    resumed.load_state_dict(schedule.state_dict())
    resumed.step()
    assert resumed.last_epoch == 4 and resumed.get_last_lr() == pytest.approx([0.25])
    assert "optimizer" not in schedule.state_dict()
    with pytest.raises(ValueError, match=r"unknown keys \['best'\]"):
        resumed.load_state_dict({"best": 1.0})


def test_plateau_state_dict_round_trip():
    schedule = nn.lr_scheduler.ReduceLROnPlateau(sgd(), patience=3)
    for value in [3.0, 2.0, 2.5]:
        schedule.step(value)
    resumed = nn.lr_scheduler.ReduceLROnPlateau(sgd())
    resumed.load_state_dict(schedule.state_dict())
    assert (resumed.best, resumed.num_bad_epochs, resumed.patience) == (2.0, 1, 3)


def test_lambda_state_dict_leaves_out_the_functions():
    schedule = nn.lr_scheduler.LambdaLR(sgd(), lambda epoch: 0.9 ** epoch)
    assert "lr_lambdas" not in schedule.state_dict()


@pytest.mark.parametrize("make, error, message", [
    (lambda o: nn.lr_scheduler.StepLR(o, step_size=0), ValueError, "step_size must be a pos"),
    (lambda o: nn.lr_scheduler.MultiStepLR(o, [5, 2]), ValueError, "must be increasing"),
    (lambda o: nn.lr_scheduler.CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be"),
    (lambda o: nn.lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, r"\[0, 1\)"),
    (lambda o: nn.lr_scheduler.ReduceLROnPlateau(o, mode="up"), ValueError, "'min' or 'max'"),
    (lambda o: nn.lr_scheduler.StepLR(object(), 1), TypeError, "expected an nn.optim"),
])
def test_misuse_is_reported(make, error, message):
    with pytest.raises(error, match=message):
        make(sgd())
