"""Optimizers follow PyTorch's documented update formulas, checked against NumPy by hand."""

import functools

import numpy as np
import pytest

import autograd_lite as ag
import nn

P0 = np.array([0.5, -1.5, 2.0, 0.25])
GRADS = [np.array([0.1, -0.2, 0.3, 0.0]), np.array([-0.4, 0.5, 0.1, 0.2]),
         np.array([0.3, 0.3, -0.6, -0.1]), np.array([0.05, -0.5, 0.2, 0.4])]


def run_optimizer(make_optimizer, dtype=np.float64):
    """Apply the fixed gradient sequence GRADS with an optimizer; return the parameter values."""
    p = ag.tensor(P0.astype(dtype), requires_grad=True)
    opt = make_optimizer([p])
    for g in GRADS:
        p.grad = ag.tensor(g.astype(dtype))
        opt.step()
    return p.data


# --- the formulas, written from PyTorch's documentation ---------------------------------------


def sgd_by_hand(lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    p, buffer = P0.copy(), None
    for g in GRADS:
        g = g + weight_decay * p
        if momentum:
            buffer = g if buffer is None else momentum * buffer + (1 - dampening) * g
            g = g + momentum * buffer if nesterov else buffer
        p = p - lr * g
    return p


def adam_by_hand(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 decoupled=False):
    p, m, v, v_max = P0.copy(), 0.0, 0.0, 0.0
    for t, g in enumerate(GRADS, start=1):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g ** 2
        v_max = np.maximum(v_max, v)
        second = v_max if amsgrad else v
        p = p - lr * (m / (1 - betas[0] ** t)) / (np.sqrt(second / (1 - betas[1] ** t)) + eps)
    return p


def rmsprop_by_hand(lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    p, v, g_avg, buffer = P0.copy(), 0.0, 0.0, 0.0
    for g in GRADS:
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g ** 2
        v_tilde = v
        if centered:
            g_avg = alpha * g_avg + (1 - alpha) * g
            v_tilde = v - g_avg ** 2
        if momentum:
            buffer = momentum * buffer + g / (np.sqrt(v_tilde) + eps)
            p = p - lr * buffer
        else:
            p = p - lr * g / (np.sqrt(v_tilde) + eps)
    return p


def adagrad_by_hand(lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                    eps=1e-10):
    p, state_sum = P0.copy(), initial_accumulator_value
    for t, g in enumerate(GRADS, start=1):
        step_lr = lr / (1 + (t - 1) * lr_decay)
        g = g + weight_decay * p
        state_sum = state_sum + g ** 2
        p = p - step_lr * g / (np.sqrt(state_sum) + eps)
    return p


adamw_by_hand = functools.partial(adam_by_hand, decoupled=True)

FORMULA_CASES = [
    (nn.optim.SGD, sgd_by_hand, {"lr": 0.1}),
    (nn.optim.SGD, sgd_by_hand, {"lr": 0.1, "momentum": 0.9}),
    (nn.optim.SGD, sgd_by_hand, {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}),
    (nn.optim.SGD, sgd_by_hand, {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    (nn.optim.SGD, sgd_by_hand, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
    (nn.optim.SGD, sgd_by_hand, {"lr": 0.1, "weight_decay": 0.1}),
    (nn.optim.Adam, adam_by_hand, {"lr": 0.1}),
    (nn.optim.Adam, adam_by_hand, {"lr": 0.01, "betas": (0.8, 0.9)}),
    (nn.optim.Adam, adam_by_hand, {"lr": 0.1, "weight_decay": 0.1}),
    (nn.optim.Adam, adam_by_hand, {"lr": 0.1, "amsgrad": True}),
    (nn.optim.Adam, adam_by_hand, {"lr": 0.1, "betas": (0.9, 0.5), "amsgrad": True}),  # v shrinks
    (nn.optim.Adam, adam_by_hand, {"lr": 0.1, "amsgrad": True, "weight_decay": 0.05,
                                   "eps": 1e-3}),
    (nn.optim.AdamW, adamw_by_hand, {"lr": 0.1, "weight_decay": 0.1}),
    (nn.optim.AdamW, adamw_by_hand, {"lr": 0.1, "weight_decay": 0.1, "amsgrad": True}),
    (nn.optim.RMSprop, rmsprop_by_hand, {"lr": 0.01}),
    (nn.optim.RMSprop, rmsprop_by_hand, {"lr": 0.01, "alpha": 0.9, "weight_decay": 0.1}),
    (nn.optim.RMSprop, rmsprop_by_hand, {"lr": 0.01, "momentum": 0.9}),
    (nn.optim.RMSprop, rmsprop_by_hand, {"lr": 0.01, "centered": True}),
    (nn.optim.RMSprop, rmsprop_by_hand, {"lr": 0.01, "centered": True, "momentum": 0.5,
                                         "eps": 1e-4}),
    (nn.optim.Adagrad, adagrad_by_hand, {"lr": 0.1}),
    (nn.optim.Adagrad, adagrad_by_hand, {"lr": 0.1, "lr_decay": 0.5, "weight_decay": 0.1}),
    (nn.optim.Adagrad, adagrad_by_hand, {"lr": 0.1, "initial_accumulator_value": 0.3}),
]


@pytest.mark.parametrize("optimizer, by_hand, options", FORMULA_CASES,
                         ids=[f"{case[0].__name__}-{case[2]}" for case in FORMULA_CASES])
def test_steps_match_the_documented_formula(optimizer, by_hand, options):
    np.testing.assert_allclose(run_optimizer(lambda ps: optimizer(ps, **options)),
                               by_hand(**options), rtol=1e-12, atol=1e-12)


def test_adamw_decay_differs_from_adams_l2_decay():
    options = {"lr": 0.1, "weight_decay": 0.1}
    assert not np.allclose(adamw_by_hand(**options), adam_by_hand(**options))


def test_adamw_default_weight_decay_is_one_hundredth():
    p = ag.tensor([1.0], requires_grad=True)
    assert nn.optim.AdamW([p]).param_groups[0]["weight_decay"] == 0.01


def test_sgd_momentum_two_steps_written_out():
    # b1 = g1 = 1; p1 = 1 - 0.1 * 1 = 0.9; b2 = 0.5 * 1 + 2 = 2.5; p2 = 0.9 - 0.25 = 0.65
    p = ag.tensor([1.0], dtype="float64", requires_grad=True)
    opt = nn.optim.SGD([p], lr=0.1, momentum=0.5)
    for g in (1.0, 2.0):
        p.grad = ag.tensor([g], dtype="float64")
        opt.step()
    np.testing.assert_allclose(p.data, [0.65], rtol=1e-15)


def test_step_descends_the_gradient_computed_by_backward():
    p = ag.tensor([1.0, -2.0], requires_grad=True)
    opt = nn.optim.SGD([p], lr=0.25)
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_allclose(p.data, [0.5, -1.0])  # p - 0.25 * 2p


@pytest.mark.parametrize("make", [
    lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
    lambda ps: nn.optim.Adam(ps, lr=0.1, amsgrad=True),
    lambda ps: nn.optim.AdamW(ps, lr=0.1),
    lambda ps: nn.optim.RMSprop(ps, lr=0.1, centered=True, momentum=0.5),
    lambda ps: nn.optim.Adagrad(ps, lr=0.1),
])
def test_updates_are_in_place_and_keep_float32(make):
    p = ag.tensor(P0.astype(np.float32), requires_grad=True)
    array = p.data
    opt = make([p])
    for g in GRADS:
        p.grad = ag.tensor(g.astype(np.float32))
        opt.step()
    assert p.data is array and p.dtype == np.float32
    for value in opt.state[id(p)].values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32
    np.testing.assert_allclose(p.data, run_optimizer(make), rtol=1e-5, atol=1e-6)


def test_step_records_no_graph():
    p = ag.tensor([1.0, 2.0], requires_grad=True)
    opt = nn.optim.Adam([p], lr=0.1)
    (p * 3).sum().backward()
    opt.step()
    assert p.is_leaf and p.requires_grad


def test_parameters_without_gradient_are_skipped():
    used = ag.tensor([1.0, 2.0], requires_grad=True)
    unused = ag.tensor([3.0, 4.0], requires_grad=True)
    opt = nn.optim.Adam([used, unused], lr=0.1)
    (used * used).sum().backward()
    opt.step()
    np.testing.assert_array_equal(unused.data, [3.0, 4.0])
    assert id(unused) not in opt.state and not np.allclose(used.data, [1.0, 2.0])


def test_step_with_closure_returns_its_loss():
    p = ag.tensor([2.0], requires_grad=True)
    opt = nn.optim.SGD([p], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with ag.no_grad():  # the closure still records its graph
        loss = opt.step(closure)
    assert loss.item() == 4.0
    np.testing.assert_allclose(p.data, [0.0])


def test_zero_grad_sets_none_or_zeros():
    p = ag.tensor([1.0, 2.0], requires_grad=True)
    opt = nn.optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.data, [0.0, 0.0])
    opt.zero_grad()
    assert p.grad is None


def test_parameter_groups_have_their_own_options():
    a = ag.tensor([1.0], requires_grad=True)
    b = ag.tensor([1.0], requires_grad=True)
    opt = nn.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.0)
    a.grad, b.grad = ag.tensor([1.0]), ag.tensor([1.0])
    opt.step()
    np.testing.assert_allclose([a.item(), b.item()], [0.9, 0.5])
    assert opt.param_groups[1]["momentum"] == 0.0


def test_add_param_group_trains_new_parameters_with_their_lr():
    a = ag.tensor([1.0], requires_grad=True)
    new = ag.tensor([1.0], requires_grad=True)
    opt = nn.optim.SGD([a], lr=0.1)
    opt.add_param_group({"params": new, "lr": 0.01})
    new.grad = ag.tensor([1.0])
    opt.step()
    np.testing.assert_allclose(new.data, [0.99])
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [a]})


def test_works_with_module_parameters():
    ag.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    before = model.weight.data.copy()
    model(ag.ones(4, 3)).sum().backward()
    opt.step()
    np.testing.assert_allclose(model.weight.data, before - 0.1 * 4.0)


# --- state dicts ------------------------------------------------------------------------------


def make_adam_pair():
    p = ag.tensor(P0.copy(), requires_grad=True)
    return p, nn.optim.Adam([p], lr=0.1, amsgrad=True)


def test_state_dict_round_trip_continues_identically():
    p, opt = make_adam_pair()
    for g in GRADS[:2]:
        p.grad = ag.tensor(g)
        opt.step()
    saved = opt.state_dict()
    q = ag.tensor(p.data.copy(), requires_grad=True)
    resumed = nn.optim.Adam([q], lr=0.5)
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == 0.1 and resumed.state[id(q)]["step"] == 2
    for g in GRADS[2:]:
        p.grad, q.grad = ag.tensor(g), ag.tensor(g)
        opt.step()
        resumed.step()
    np.testing.assert_array_equal(p.data, q.data)


def test_state_dict_is_a_copy_with_indices():
    p, opt = make_adam_pair()
    p.grad = ag.tensor(GRADS[0])
    opt.step()
    saved = opt.state_dict()
    assert saved["param_groups"][0]["params"] == [0]
    exp_avg = saved["state"][0]["exp_avg"].copy()
    opt.step()
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], exp_avg)


def test_load_state_dict_rejects_mismatches_and_changes_nothing():
    p, opt = make_adam_pair()
    p.grad = ag.tensor(GRADS[0])
    opt.step()
    saved = opt.state_dict()
    wrong_shape = ag.tensor(np.zeros(3), requires_grad=True)
    other = nn.optim.Adam([wrong_shape], lr=0.3)
    with pytest.raises(ValueError, match=r"'exp_avg' of parameter 0 has shape \(4,\).*\(3,\)"):
        other.load_state_dict(saved)
    assert other.state == {} and other.param_groups[0]["lr"] == 0.3
    two = nn.optim.Adam([ag.tensor([1.0], requires_grad=True),
                         ag.tensor([1.0], requires_grad=True)])
    with pytest.raises(ValueError, match="group 0 has 1 parameters in the state but 2"):
        two.load_state_dict(saved)
    with pytest.raises(ValueError, match="1 parameter group"):
        nn.optim.Adam([{"params": [ag.tensor([1.0], requires_grad=True)]},
                       {"params": [ag.tensor([1.0], requires_grad=True)]}]).load_state_dict(saved)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})


# --- misuse -----------------------------------------------------------------------------------


def test_empty_parameter_list_is_an_error():
    with pytest.raises(ValueError, match="SGD: got an empty parameter list"):
        nn.optim.SGD([], lr=0.1)


@pytest.mark.parametrize("make, message", [
    (lambda ps: nn.optim.SGD(ps, lr=-0.1), r"SGD: invalid lr=-0.1"),
    (lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=-1), r"invalid momentum=-1"),
    (lambda ps: nn.optim.Adam(ps, eps=-1e-8), r"Adam: invalid eps"),
    (lambda ps: nn.optim.Adam(ps, betas=(0.9, 1.0)), r"invalid betas=\(0.9, 1.0\)"),
    (lambda ps: nn.optim.RMSprop(ps, weight_decay=-1), r"RMSprop: invalid weight_decay"),
    (lambda ps: nn.optim.Adagrad(ps, lr_decay=-1), r"Adagrad: invalid lr_decay"),
    (lambda ps: nn.optim.SGD(ps, lr=0.1, nesterov=True), r"nesterov=True needs momentum > 0"),
    (lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
     r"dampening = 0"),
    (lambda ps: nn.optim.SGD([{"params": ps, "momentun": 0.9}], lr=0.1),
     r"unknown option\(s\) \['momentun'\]"),
])
def test_invalid_options_are_rejected(make, message):
    with pytest.raises(ValueError, match=message):
        make([ag.tensor([1.0], requires_grad=True)])


def test_a_non_tensor_parameter_is_a_type_error():
    with pytest.raises(TypeError, match="SGD: parameter 1 is a ndarray, not a Tensor"):
        nn.optim.SGD([ag.tensor([1.0], requires_grad=True), np.ones(2)], lr=0.1)


def test_a_single_tensor_must_be_wrapped_in_a_list():
    with pytest.raises(TypeError, match="got a single Tensor; wrap it in a list"):
        nn.optim.SGD(ag.tensor([1.0], requires_grad=True), lr=0.1)


def test_a_frozen_parameter_is_accepted_and_left_unchanged():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    model[0].requires_grad_(False)  # fine-tuning: freeze the first layer, as in PyTorch
    frozen = model[0].weight.numpy().copy()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    model(ag.ones(3, 2)).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(model[0].weight.numpy(), frozen)
    assert model[1].weight.grad is not None


def test_a_non_leaf_tensor_is_rejected():
    p = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="is not a leaf tensor .*'mul'"):
        nn.optim.Adam([p * 2])


def test_a_parameter_listed_twice_is_rejected():
    p = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="appears more than once"):
        nn.optim.SGD([p, p], lr=0.1)


# --- gradient clipping ------------------------------------------------------------------------


def test_clip_grad_norm_scales_all_gradients_together():
    a = ag.tensor([0.0, 3.0], requires_grad=True)
    b = ag.tensor([4.0], requires_grad=True)
    a.grad, b.grad = ag.tensor([0.0, 3.0]), ag.tensor([4.0])
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(np.concatenate([a.grad.data, b.grad.data]), [0, 0.6, 0.8],
                               rtol=1e-5)


def test_clip_grad_norm_leaves_small_gradients_alone():
    p = ag.tensor([1.0, 1.0], requires_grad=True)
    p.grad = ag.tensor([0.3, -0.4])
    assert nn.utils.clip_grad_norm_(p, max_norm=1.0).item() == pytest.approx(0.5)
    np.testing.assert_array_equal(p.grad.data, np.float32([0.3, -0.4]))


def test_clip_grad_norm_infinity_norm_and_nonfinite_error():
    p = ag.tensor([1.0, 1.0], requires_grad=True)
    p.grad = ag.tensor([-4.0, 2.0])
    assert nn.utils.clip_grad_norm_([p], 2.0, norm_type=float("inf")).item() == 4.0
    np.testing.assert_allclose(p.grad.data, [-2.0, 1.0], rtol=1e-5)
    p.grad = ag.tensor([np.nan, 1.0])
    with pytest.raises(RuntimeError, match="total gradient norm is nan"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_clips_each_entry():
    p = ag.tensor([1.0, 1.0, 1.0], requires_grad=True)
    p.grad = ag.tensor([-3.0, 0.2, 5.0])
    nn.utils.clip_grad_value_([p], 0.5)
    np.testing.assert_array_equal(p.grad.data, np.float32([-0.5, 0.2, 0.5]))
    with pytest.raises(ValueError, match="clip_value must be >= 0"):
        nn.utils.clip_grad_value_([p], -1)


# --- a step is an in-place change that backward sees --------------------------------------------

EVERY_OPTIMIZER = [
    lambda ps: nn.optim.SGD(ps, lr=0.1),
    lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
    lambda ps: nn.optim.Adam(ps, lr=0.1, amsgrad=True, weight_decay=0.01),
    lambda ps: nn.optim.AdamW(ps, lr=0.1),
    lambda ps: nn.optim.RMSprop(ps, lr=0.1, centered=True, momentum=0.5),
    lambda ps: nn.optim.Adagrad(ps, lr=0.1, lr_decay=0.1),
]
OPTIMIZER_IDS = ["SGD", "SGD-momentum", "SGD-nesterov", "Adam-amsgrad", "AdamW",
                 "RMSprop-centered-momentum", "Adagrad"]


@pytest.mark.parametrize("make", EVERY_OPTIMIZER, ids=OPTIMIZER_IDS)
def test_backward_after_a_step_through_the_old_weights_is_refused(make):
    """PyTorch raises here; silently using the stepped weights gave [1, 3] instead of [2, 4]."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    optimizer = make([w])
    y = (w * w).sum()
    w.grad = ag.tensor([5.0, 5.0])
    optimizer.step()
    name = type(optimizer).__name__
    with pytest.raises(RuntimeError, match=rf"^backward: input 0 of 'mul' \(shape \(2,\)\) was "
                                           rf"changed in place by optimizer\.step \({name}\) "
                                           rf"after 'mul' used it"):
        y.backward()


def test_backward_before_the_step_gives_the_gradient_of_the_old_weights():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    optimizer = nn.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6])


def test_zero_grad_without_none_zeroes_the_gradient_in_place():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    grad = w.grad
    nn.optim.SGD([w], lr=0.1).zero_grad(set_to_none=False)
    assert w.grad is grad
    np.testing.assert_array_equal(grad.numpy(), [0.0, 0.0])


# --- all or nothing -----------------------------------------------------------------------------


def _three_parameters():
    return [ag.tensor(P0.copy(), requires_grad=True),
            ag.tensor(P0[:3] * 2, requires_grad=True),
            ag.tensor(P0[1:] - 1, requires_grad=True)]


def _give_gradients(params, gradient_set):
    for offset, p in enumerate(params):
        p.grad = ag.tensor(GRADS[(gradient_set + offset) % 4][:p.size])


def _snapshot(optimizer, params):
    """Copies of every parameter and of its state entries (arrays and step counts), in order;
    None for a parameter without state."""
    states = [None if id(p) not in optimizer.state else
              {name: np.array(value, copy=True) for name, value in optimizer.state[id(p)].items()}
              for p in params]
    return [p.numpy().copy() for p in params], states


def _assert_same_snapshot(actual, expected):
    (params, states), (params_before, states_before) = actual, expected
    for value, before in zip(params, params_before):
        np.testing.assert_array_equal(value, before)
    for state, state_before in zip(states, states_before):
        assert (state is None) == (state_before is None)
        if state is not None:
            assert state.keys() == state_before.keys()
            for name in state:
                np.testing.assert_array_equal(state[name], state_before[name])


def _interrupt_on_call(number, function):
    """Wrap ``function`` so that its ``number``-th call raises KeyboardInterrupt (Ctrl-C)."""
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(None)
        if len(calls) == number:
            raise KeyboardInterrupt
        return function(*args, **kwargs)

    return interrupted


@pytest.mark.parametrize("make", EVERY_OPTIMIZER, ids=OPTIMIZER_IDS)
@pytest.mark.parametrize("steps_before", [0, 2], ids=["first-step", "with-state"])
def test_a_step_interrupted_after_the_first_parameter_changes_nothing(make, steps_before,
                                                                      monkeypatch):
    params = _three_parameters()
    optimizer = make(params)
    reference_params = _three_parameters()
    reference = make(reference_params)
    for step in range(steps_before):
        for ps, opt in ((params, optimizer), (reference_params, reference)):
            _give_gradients(ps, step)
            opt.step()
    _give_gradients(params, steps_before)
    before = _snapshot(optimizer, params)
    monkeypatch.setattr(optimizer, "_update", _interrupt_on_call(2, optimizer._update))
    with pytest.raises(KeyboardInterrupt):
        optimizer.step()
    _assert_same_snapshot(_snapshot(optimizer, params), before)
    monkeypatch.undo()
    optimizer.step()  # the retried step equals an uninterrupted one
    _give_gradients(reference_params, steps_before)
    reference.step()
    _assert_same_snapshot(_snapshot(optimizer, params), _snapshot(reference, reference_params))


def test_ctrl_c_inside_adams_numpy_call_for_the_second_parameter_changes_nothing(monkeypatch):
    params = _three_parameters()
    optimizer = nn.optim.Adam(params, lr=0.1)
    _give_gradients(params, 0)
    optimizer.step()
    _give_gradients(params, 1)
    before = _snapshot(optimizer, params)
    monkeypatch.setattr(np, "sqrt", _interrupt_on_call(2, np.sqrt))  # Adam calls it once per p
    with pytest.raises(KeyboardInterrupt):
        optimizer.step()
    _assert_same_snapshot(_snapshot(optimizer, params), before)
    assert optimizer.state[id(params[0])]["step"] == 1


def test_a_mis_shaped_gradient_is_reported_before_any_parameter_changes():
    first, second = ag.tensor([1.0, 2.0], requires_grad=True), ag.tensor([3.0], requires_grad=True)
    optimizer = nn.optim.SGD([first, second], lr=0.1, momentum=0.9)
    first.grad, second.grad = ag.tensor([1.0, 1.0]), ag.tensor([1.0, 1.0])
    with pytest.raises(ValueError, match=r"SGD.step: a parameter of shape \(1,\) has a gradient "
                                         r"of shape \(2,\)"):
        optimizer.step()
    np.testing.assert_array_equal(first.numpy(), [1.0, 2.0])
    assert optimizer.state == {}


@pytest.mark.parametrize("clip, writer", [
    (lambda p: nn.utils.clip_grad_norm_(p, max_norm=0.1), "clip_grad_norm_"),
    (lambda p: nn.utils.clip_grad_value_(p, clip_value=0.1), "clip_grad_value_"),
])
def test_clipping_a_gradient_that_a_graph_saved_is_named_by_backward(clip, writer):
    # A gradient penalty keeps a graph through .grad (create_graph=True); clipping that .grad
    # in place afterwards would make the penalty's gradient wrong, so backward refuses.
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    (w ** 3).sum().backward(create_graph=True)
    penalty = (w.grad * w.grad).sum()
    clip([w])
    np.testing.assert_allclose(np.abs(w.grad.data).max(), 0.1 if "value" in writer else
                               0.1 * 12 / np.hypot(3, 12), rtol=1e-5)
    with pytest.raises(RuntimeError, match=f"changed in place by {writer} after 'mul' used it"):
        penalty.backward()
