"""ag.compile: traced programs give the eager numbers, and refuse what they cannot replay."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_lite as ag
import nn

X_XOR = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64)
Y_XOR = np.array([[0], [1], [1], [0]], dtype=np.float64)


def _xor_weights():
    random = np.random.RandomState(1)
    return [ag.tensor(2 * random.random_sample((3, 4)) - 1, requires_grad=True),
            ag.tensor(2 * random.random_sample((4, 1)) - 1, requires_grad=True)]


def _xor_loss(W0, W1):
    def loss_of(x, y):
        l1 = (x @ W0).sigmoid()
        l2 = (l1 @ W1).sigmoid()
        return 0.5 * ((y - l2) ** 2).sum()
    return loss_of


# --- drop-in: a compiled forward is one node of the graph ------------------------------------


def test_compiled_loss_and_gradients_equal_eager_exactly():
    W0, W1 = _xor_weights()
    loss_of = _xor_loss(W0, W1)
    x, y = ag.tensor(X_XOR), ag.tensor(Y_XOR)
    eager = loss_of(x, y)
    eager.backward()
    expected = [W0.grad.numpy().copy(), W1.grad.numpy().copy()]
    W0.grad = W1.grad = None
    compiled = ag.compile(loss_of)
    loss = compiled(x, y)
    loss.backward()
    assert loss.item() == eager.item()
    np.testing.assert_array_equal(W0.grad.numpy(), expected[0])
    np.testing.assert_array_equal(W1.grad.numpy(), expected[1])


def test_closure_parameters_are_read_on_every_call():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    compiled = ag.compile(lambda x: (x * w).sum())
    x = ag.tensor([3.0, 4.0])
    assert compiled(x).item() == 11.0
    with ag.no_grad():
        w.mul_(10.0)
    assert compiled(x).item() == 110.0
    assert compiled.trace_count == 1


def test_compiled_node_is_named_after_the_function_and_reaches_argument_gradients():
    def scaled_square(x):
        return (x * x * 3.0).sum()
    x = ag.tensor([1.0, -2.0], requires_grad=True)
    out = ag.compile(scaled_square)(x)
    assert out.op_name == "scaled_square"
    out.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, -12.0])  # d(3x^2)/dx = 6x


def test_other_shapes_trace_again_and_same_shapes_do_not():
    compiled = ag.compile(lambda x: x.tanh().sum())
    compiled(ag.tensor([1.0, 2.0]))
    compiled(ag.tensor([3.0, 4.0]))
    assert compiled.trace_count == 1
    assert compiled(ag.tensor([[1.0], [2.0]])).item() == pytest.approx(np.tanh([1, 2]).sum())
    assert compiled.trace_count == 2
    compiled(ag.tensor([1.0, 2.0], requires_grad=True))
    assert compiled.trace_count == 3


def test_tuple_outputs_each_carry_their_gradient():
    def two(x):
        return (x * 2.0).sum(), (x * x).sum()
    x = ag.tensor([1.0, 3.0], requires_grad=True)
    doubled, squared = ag.compile(two)(x)
    squared.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 6.0])
    doubled.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])


def test_code_names_values_after_the_users_variables_and_comments_each_op():
    W0, W1 = _xor_weights()
    compiled = ag.compile(_xor_loss(W0, W1))
    compiled(ag.tensor(X_XOR), ag.tensor(Y_XOR))
    code = compiled.code
    assert "l1 = 1 / (1 + np.exp(-" in code
    assert "def forward(x, y, W0, W1):" in code
    assert "grad_W0 = " in code and "grad_l1 = " in code
    assert "# matmul" in code and "# sigmoid" in code
    assert code.index("def forward") < code.index("def backward")


def test_code_before_the_first_call_raises():
    with pytest.raises(RuntimeError, match="has not been called yet"):
        _ = ag.compile(lambda x: x).code


def test_create_graph_through_a_compiled_node_raises_clearly():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    out = ag.compile(lambda v: (v * v).sum())(x)
    with pytest.raises(ag.CompileError, match="create_graph=True.*not supported"):
        ag.grad(out, x, create_graph=True)


# --- whole steps: backward, optimizer and in-place updates inside ---------------------------


def _train_xor(step_factory, compiled, steps):
    W0, W1 = _xor_weights()
    step = step_factory(W0, W1)
    step = ag.compile(step) if compiled else step
    x, y = ag.tensor(X_XOR), ag.tensor(Y_XOR)
    for _ in range(steps):
        loss = step(x, y)
    return loss.item(), W0.numpy().copy(), W1.numpy().copy(), step


def _mse_train_step(model, opt, compiled):
    """One optimizer step on the MSE of ``model``, compiled with ag.compile or eager."""
    def train_step(x, y):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return ag.compile(train_step) if compiled else train_step


def _manual_sgd_step(W0, W1):
    loss_of = _xor_loss(W0, W1)

    def step(x, y):
        loss = loss_of(x, y)
        loss.backward()
        with ag.no_grad():
            W0.sub_(W0.grad)
            W1.sub_(W1.grad)
        W0.grad = W1.grad = None
        return loss
    return step


def test_whole_step_with_manual_updates_follows_eager_for_thousands_of_steps():
    eager = _train_xor(_manual_sgd_step, False, 2000)
    compiled = _train_xor(_manual_sgd_step, True, 2000)
    assert compiled[0] == eager[0]
    np.testing.assert_array_equal(compiled[1], eager[1])
    np.testing.assert_array_equal(compiled[2], eager[2])
    assert compiled[3].trace_count == 1
    assert "accumulate(" in compiled[3].code and "np.subtract(" in compiled[3].code


def _model_run(compiled, optimizer, steps=300, dropout=0.0):
    ag.manual_seed(0)
    layers = [nn.Linear(3, 8), nn.Tanh()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    model = nn.Sequential(*layers, nn.Linear(8, 1), nn.Sigmoid())
    model.to(np.float64)
    step = _mse_train_step(model, optimizer(model.parameters()), compiled)
    x, y = ag.tensor(X_XOR), ag.tensor(Y_XOR)
    losses = [step(x, y).item() for _ in range(steps)]
    return losses, [p.numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("optimizer", [
    lambda ps: nn.optim.SGD(ps, lr=0.5, momentum=0.9),
    lambda ps: nn.optim.Adam(ps, lr=0.01),
])
def test_whole_step_with_an_optimizer_equals_eager(optimizer):
    eager_losses, eager_params = _model_run(False, optimizer)
    losses, params = _model_run(True, optimizer)
    assert losses == eager_losses
    for ours, theirs in zip(params, eager_params):
        np.testing.assert_array_equal(ours, theirs)


def test_dropout_masks_are_fresh_on_every_call_and_equal_eagers():
    eager_losses, eager_params = _model_run(False, lambda ps: nn.optim.SGD(ps, lr=0.1), 50,
                                            dropout=0.5)
    losses, params = _model_run(True, lambda ps: nn.optim.SGD(ps, lr=0.1), 50, dropout=0.5)
    assert len(set(losses)) > 1
    assert losses == eager_losses
    for ours, theirs in zip(params, eager_params):
        np.testing.assert_array_equal(ours, theirs)


def test_switching_a_module_to_eval_traces_again():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    compiled = ag.compile(lambda x: model(x).sum())
    x = ag.ones(4, 2)
    compiled(x)
    model.eval()
    expected = model(x).sum().item()
    assert compiled(x).item() == pytest.approx(expected)
    assert compiled.trace_count == 2


# --- what a program cannot replay raises, naming the line ---------------------------------


@pytest.mark.parametrize("read", [
    lambda t: t.item(), lambda t: t.numpy(), lambda t: bool(t.sum() > 0), lambda t: t.data,
    lambda t: float(t), lambda t: f"{t:.3f}",
])
def test_reading_a_traced_value_raises_naming_the_line(read):
    def fn(x):
        total = (x * 2.0).sum()
        read(total)
        return total
    with pytest.raises(ag.CompileError, match=r"traced inside 'fn' \(shape \(\)\) at .*"
                                              r"test_compile.py:\d+.*move this out"):
        ag.compile(fn)(ag.tensor([1.0, 2.0]))


def test_an_if_on_a_traced_value_raises_instead_of_freezing_the_branch():
    def fn(x):
        if x.sum() > 0:
            return x * 2.0
        return x * 3.0
    with pytest.raises(ag.CompileError, match="bool"):
        ag.compile(fn)(ag.tensor([1.0]))


def test_an_in_place_write_a_program_cannot_replay_raises():
    buffer = ag.zeros(2)

    def fn(x):
        buffer.fill_(1.0)
        return x * 2.0
    with pytest.raises(ag.CompileError, match="Tensor.fill_ changed a tensor of shape "
                                              r"\(2,\) in place"):
        ag.compile(fn)(ag.tensor([1.0, 2.0]))


def test_ag_tensor_of_a_value_copies_it_on_every_call():
    w = ag.tensor([1.0, 2.0])
    compiled = ag.compile(lambda x: ag.tensor(x * 2.0) + ag.tensor(w, dtype="float64"))
    assert compiled(ag.tensor([1.0, 1.0])).tolist() == [3.0, 4.0]
    w.data = np.array([10.0, 20.0], dtype=np.float32)
    out = compiled(ag.tensor([1.0, 1.0]))
    assert out.tolist() == [12.0, 22.0] and out.dtype == np.float64
    with pytest.raises(ag.CompileError, match="would make a new leaf on every call"):
        ag.compile(lambda x: ag.tensor(x, requires_grad=True))(ag.tensor([1.0]))


def test_randn_inside_a_compiled_function_raises():
    with pytest.raises(ag.CompileError, match="would freeze"):
        ag.compile(lambda x: x + ag.randn(2))(ag.tensor([1.0, 2.0]))


def test_returning_a_number_raises():
    with pytest.raises(ag.CompileError, match="returned a float"):
        ag.compile(lambda x: 1.0)(ag.tensor([1.0]))


def test_a_tensor_with_a_graph_from_outside_must_be_an_argument():
    h = ag.tensor([1.0], requires_grad=True) * 2.0
    with pytest.raises(ag.CompileError, match="pass it as an argument"):
        ag.compile(lambda x: x * h)(ag.tensor([1.0]))


def test_a_failed_trace_leaves_gradients_as_they_were():
    w = ag.tensor([1.0], requires_grad=True)
    w.grad = ag.tensor([5.0])

    def step(x):
        (x * w).sum().backward()
        w.grad.item()
        return x
    with pytest.raises(ag.CompileError):
        ag.compile(step)(ag.tensor([1.0]))
    np.testing.assert_array_equal(w.grad.numpy(), [5.0])


def test_a_whole_step_fills_the_grad_of_arguments_that_require_grad():
    def step(x):
        loss = (x * x).sum()
        loss.backward()
        return loss
    compiled = ag.compile(step)
    for _ in range(2):
        x = ag.tensor([1.0, -3.0], requires_grad=True)
        compiled(x)
        np.testing.assert_array_equal(x.grad.numpy(), [2.0, -6.0])


def test_rewritten_whole_step_matches_the_unrewritten_program_exactly():
    def run(rewrite):
        W0, W1 = _xor_weights()
        step = ag.compile(_manual_sgd_step(W0, W1), rewrite=rewrite)
        x, y = ag.tensor(X_XOR), ag.tensor(Y_XOR)
        losses = [step(x, y).item() for _ in range(200)]
        return losses, W0.numpy().copy(), step.code
    rewritten, plain = run(True), run(False)
    assert rewritten[0] == plain[0]
    np.testing.assert_array_equal(rewritten[1], plain[1])
    assert "** 1" in plain[2] and "** 1" not in rewritten[2]  # x ** 1 is x
    assert "np.broadcast_to" in plain[2] and "np.broadcast_to" not in rewritten[2]  # folded
    assert "= -" in plain[2] and "# neg" not in rewritten[2]  # y - l2 flipped, no negation
    assert "flipped to p - y" in rewritten[2]


def test_rewritten_drop_in_gradients_match_the_unrewritten_program_exactly():
    grads, codes = [], []
    for rewrite in (True, False):
        W0, W1 = _xor_weights()
        compiled = ag.compile(_xor_loss(W0, W1), rewrite=rewrite)
        compiled(ag.tensor(X_XOR), ag.tensor(Y_XOR)).backward()
        grads.append((W0.grad.numpy(), W1.grad.numpy()))
        codes.append(compiled.code)
    assert "np.broadcast_to" in codes[1] and "np.broadcast_to" not in codes[0]
    np.testing.assert_array_equal(grads[0][0], grads[1][0])
    np.testing.assert_array_equal(grads[0][1], grads[1][1])


def _example(name):
    import importlib.util
    import sys
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def test_xor_example_shows_the_generated_step():
    module = _example("xor_11_lines")
    code = module.compiled_step_code()
    assert "l1 = 1 / (1 + np.exp(-" in code and "grad_syn0 = " in code
    assert "if _syn0.grad is None:" in code


# --- nn.fit(compile=True) and the examples' models ------------------------------------------


def _fit(compile, model_factory, loss_fn, x, y, optimizer=lambda ps: nn.optim.SGD(ps, lr=0.1),
         epochs=3):
    ag.manual_seed(0)
    model = model_factory()
    model.to(np.float64)
    history = nn.fit(model, loss_fn, optimizer(model.parameters()), (x, y), epochs=epochs,
                     batch_size=8, progress=False, seed=1, metrics=(), compile=compile)
    return history.train_loss, [p.numpy().copy() for p in model.parameters()]


EXAMPLE_MODELS = {
    # examples/xor_11_lines.py, the nn way: 3-4-1 sigmoid, MSELoss(reduction="sum")
    "xor_11_lines": (lambda: nn.Sequential(nn.Linear(3, 4, bias=False), nn.Sigmoid(),
                                           nn.Linear(4, 1, bias=False), nn.Sigmoid()),
                     nn.MSELoss(reduction="sum"), 3, 1),
    # examples/sine_regression.py: 1-16-16-1 tanh, MSELoss
    "sine_regression": (lambda: nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 16),
                                              nn.Tanh(), nn.Linear(16, 1)),
                        nn.MSELoss(), 1, 1),
    # examples/quickstart.py: 2-16-16-1 ReLU, sigmoid, BCELoss (its range check on every call)
    "quickstart": (lambda: nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16),
                                         nn.ReLU(), nn.Linear(16, 1), nn.Sigmoid()),
                   nn.BCELoss(), 2, 1),
    # examples/graph_gallery.py's MLP 2-3-1 tanh and the moons tutorial's logits with
    # BCEWithLogitsLoss, plus Dropout
    "moons_mlp_dropout": (lambda: nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Dropout(0.2),
                                                nn.Linear(3, 1)),
                          nn.BCEWithLogitsLoss(), 2, 1),
}


@pytest.mark.parametrize("name", list(EXAMPLE_MODELS))
def test_fit_compiled_gives_the_eager_numbers_on_the_examples_models(name):
    factory, loss_fn, inputs, outputs = EXAMPLE_MODELS[name]
    random = np.random.default_rng(3)
    x = random.standard_normal((37, inputs))  # 37: the last batch has another shape
    y = (random.random((37, outputs)) > 0.5).astype(np.float64)
    eager = _fit(False, factory, loss_fn, x, y, optimizer=lambda ps: nn.optim.Adam(ps, 0.01))
    compiled = _fit(True, factory, loss_fn, x, y, optimizer=lambda ps: nn.optim.Adam(ps, 0.01))
    assert compiled[0] == eager[0]
    for ours, theirs in zip(compiled[1], eager[1]):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("name, model_factory, inputs", [
    # examples/digits.py: the sigmoid MLP and the small CNN (Conv2d, ReLU, MaxPool2d), both on
    # nn.CrossEntropyLoss with class-index targets
    ("digits_mlp", lambda: nn.Sequential(nn.Linear(16, 8), nn.Sigmoid(), nn.Linear(8, 10)),
     (16,)),
    ("digits_cnn", lambda: nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(),
                                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 10)),
     (1, 4, 4)),
])
def test_fit_compiled_with_class_index_targets_equals_eager(name, model_factory, inputs):
    random = np.random.default_rng(4)
    x = random.standard_normal((21,) + inputs)
    y = random.integers(0, 10, 21)
    runs = [_fit(compile, model_factory, nn.CrossEntropyLoss(), x, y,
                 optimizer=lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9))
            for compile in (False, True)]
    assert runs[1][0] == runs[0][0]
    for ours, theirs in zip(runs[1][1], runs[0][1]):
        np.testing.assert_array_equal(ours, theirs)


def test_cross_entropy_targets_weights_and_ignore_index_are_read_on_every_call():
    weight = np.array([1.0, 2.0, 0.5])

    def loss_of(logits, target):
        return nn.functional.cross_entropy(logits, target, weight=weight, ignore_index=1,
                                           label_smoothing=0.1)
    compiled = ag.compile(loss_of)
    logits = ag.tensor(np.random.default_rng(5).standard_normal((4, 3)), requires_grad=True)
    for target in ([0, 1, 2, 2], [2, 2, 0, 1], [1, 0, 0, 0]):
        target = np.array(target)
        expected = loss_of(logits, target)
        expected.backward()
        expected_grad = logits.grad.numpy().copy()
        logits.grad = None
        loss = compiled(logits, target)
        loss.backward()
        assert loss.item() == expected.item()
        np.testing.assert_array_equal(logits.grad.numpy(), expected_grad)
        logits.grad = None
    assert compiled.trace_count == 1
    with pytest.raises(IndexError, match="target class 7 is out of range for 3 classes"):
        compiled(logits, np.array([0, 7, 2, 2]))


def test_bce_range_check_runs_on_every_call_of_a_compiled_program():
    w = ag.tensor([1.0], requires_grad=True)
    loss_of = ag.compile(lambda p, t: nn.functional.binary_cross_entropy(p * w, t))
    target = ag.tensor([1.0, 0.0], dtype="float64")
    loss = loss_of(ag.tensor([0.9, 0.2], dtype="float64"), target)
    assert loss.item() == pytest.approx(-(np.log(0.9) + np.log(0.8)) / 2)
    assert "check_probabilities(" in loss_of.code
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\], got values from 0.2 to 1.5"):
        loss_of(ag.tensor([1.5, 0.2], dtype="float64"), target)
    assert loss_of.trace_count == 1


def test_batchnorm_running_statistics_update_as_in_eager():
    def run(compiled):
        ag.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 1))
        model.to(np.float64)
        step = _mse_train_step(model, nn.optim.SGD(model.parameters(), lr=0.1), compiled)
        x = ag.tensor(np.random.default_rng(0).standard_normal((6, 3)))
        y = ag.tensor(np.arange(6.0).reshape(6, 1))
        losses = [step(x, y).item() for _ in range(20)]
        model.eval()
        predict = ag.compile(lambda v: model(v)) if compiled else model
        return losses, predict(x).numpy().copy(), model[1].running_mean.numpy().copy(), \
            int(model[1].num_batches_tracked.item())
    eager, compiled = run(False), run(True)
    assert compiled[0] == eager[0]
    np.testing.assert_array_equal(compiled[1], eager[1])
    np.testing.assert_array_equal(compiled[2], eager[2])
    assert compiled[3] == eager[3] == 20


def test_reading_data_of_a_parameter_inside_raises():
    w = ag.tensor([2.0], requires_grad=True)
    with pytest.raises(ag.CompileError, match="would be frozen into the compiled program"):
        ag.compile(lambda x: x * w.data)(ag.tensor([1.0]))


def _moons_run(compiled, rewrite=True, steps=2000):
    random = np.random.default_rng(2)
    X = ag.tensor(random.standard_normal((2, 64)))
    Y = ag.tensor((random.random((1, 64)) > 0.5).astype(np.float64))
    weights = np.random.RandomState(0)
    params = [ag.tensor(weights.randn(3, 2) * 0.5, requires_grad=True),
              ag.zeros(3, 1, dtype="float64", requires_grad=True),
              ag.tensor(weights.randn(1, 3) * 0.5, requires_grad=True),
              ag.zeros(1, 1, dtype="float64", requires_grad=True)]
    W1, b1, W2, b2 = params

    def step(X, Y):
        A1 = (W1 @ X + b1).tanh()
        A2 = (W2 @ A1 + b2).sigmoid()
        loss = -(Y * A2.log() + (1 - Y) * (1 - A2).log()).mean()
        loss.backward()
        with ag.no_grad():
            for p in params:
                p.sub_(p.grad * 0.6)
                p.grad = None
        return loss
    step = ag.compile(step, rewrite=rewrite) if compiled else step
    losses = [step(X, Y).item() for _ in range(steps)]
    return np.array(losses), [p.numpy().copy() for p in params], getattr(step, "code", "")


def test_fused_sigmoid_bce_gradient_matches_unfused_to_1e12_over_thousands_of_steps():
    fused, plain, eager = _moons_run(True), _moons_run(True, rewrite=False), _moons_run(False)
    assert "fused: the logits' gradient c * (y - p)" in fused[2]
    assert "fused" not in plain[2]
    np.testing.assert_array_equal(plain[0], eager[0])  # unfused: eager's numbers exactly
    np.testing.assert_allclose(fused[0], plain[0], rtol=1e-12, atol=0)
    for ours, theirs in zip(fused[1], plain[1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
    assert fused[0][-1] < 0.9 * fused[0][0]  # it trains


def test_a_detached_parameter_is_read_on_every_call():
    w = ag.tensor([2.0], requires_grad=True)
    compiled = ag.compile(lambda x: x * w.detach())
    assert compiled(ag.tensor([1.0])).item() == 2.0
    with ag.no_grad():
        w.mul_(3.0)
    assert compiled(ag.tensor([1.0])).item() == 6.0


@pytest.mark.parametrize("name, fn, check", [
    # softmax cross-entropy: the no-op reshape goes, and the VJP reuses the log-probabilities
    ("log_softmax", lambda x, t: -(ag.log_softmax(x, axis=1) * t).sum() / 4,
     lambda code: code.count(" - ") == 1 and ".reshape((4, 1))" not in code),
    # an op repeated on the same operands is computed once
    ("shared", lambda x, t: ((1 - x) * t + (1 - x).exp()).sum(),
     lambda code: code.count("1 - x") == 1),
    # a broadcast gradient met by a full-shape operand needs no np.broadcast_to
    ("mean", lambda x, t: (x * t).mean(), lambda code: "broadcast_to" not in code),
])
def test_each_rewrite_keeps_the_unrewritten_numbers(name, fn, check):
    random = np.random.default_rng(6)
    t = ag.tensor(random.random((4, 3)))
    results = []
    for rewrite in (True, False):
        x = ag.tensor(random.standard_normal((4, 3)) if not results else results[0][2],
                      requires_grad=True)
        compiled = ag.compile(fn, rewrite=rewrite)
        out = compiled(x, t)
        out.backward()
        results.append((out.item(), x.grad.numpy(), x.numpy(), compiled.code))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert check(results[0][3]) and not check(results[1][3])


def test_large_dead_operands_lend_their_buffer_and_keep_the_numbers():
    w = ag.tensor(np.random.default_rng(7).standard_normal((64, 128)), requires_grad=True)
    results = []
    for rewrite in (True, False):
        compiled = ag.compile(lambda x: ((x @ w) * 2.0 + 1.0).tanh().sum(), rewrite=rewrite)
        x = ag.tensor(np.random.default_rng(8).standard_normal((64, 64)))
        out = compiled(x)
        out.backward()
        results.append((out.item(), w.grad.numpy().copy(), compiled.code))
        w.grad = None
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert "out=" in results[0][2] and "out=" not in results[1][2]


def test_a_compiled_function_called_inside_another_is_inlined():
    inner = ag.compile(lambda v: v * 2.0)
    outer = ag.compile(lambda v: inner(v).sum())
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    outer(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    assert inner.trace_count == 0 and outer.trace_count == 1


def test_number_and_keyword_arguments_are_part_of_the_key():
    compiled = ag.compile(lambda x, scale, shift=0.0: (x * scale + shift).sum())
    x = ag.tensor([1.0, 2.0])
    assert compiled(x, 2.0).item() == 6.0
    assert compiled(x, 3.0).item() == 9.0
    assert compiled(x, 3.0, shift=1.0).item() == 11.0
    assert compiled(x, 3.0, shift=1.0).item() == 11.0
    assert compiled.trace_count == 3


def test_backward_with_create_graph_inside_a_compiled_step_raises():
    def step(x):
        loss = (x * x).sum()
        loss.backward(create_graph=True)
        return loss
    with pytest.raises(ag.CompileError, match=r"backward\(create_graph=True\) inside 'step'"):
        ag.compile(step)(ag.tensor([1.0], requires_grad=True))


@pytest.mark.parametrize("read", [lambda w: w.item(), lambda w: w.numpy(), lambda w: np.asarray(w),
                                  lambda w: bool(w), lambda w: w.tolist()])
def test_reading_the_values_of_an_outside_tensor_inside_raises(read):
    w = ag.tensor([2.0], requires_grad=True)
    with pytest.raises(ag.CompileError, match="made outside '<lambda>'.*would be frozen"):
        ag.compile(lambda x: x * float(read(w) is None))(ag.tensor([1.0]))


def test_the_hand_written_examples_losses_compile_to_the_eager_numbers():
    """examples/wine.py (its forward makes ag.tensor(x) of its argument) and
    examples/sine_online_offline.py (bias columns by ag.concatenate with ag.ones), trained with
    their own eager update: the compiled loss gives the eager trajectory exactly."""
    wine, sine = _example("wine"), _example("sine_online_offline")
    gradient_descent_step = wine.gradient_descent_step  # the examples' own update

    random = np.random.default_rng(9)
    x, y = random.standard_normal((2, 40)), (random.random((1, 40)) > 0.5) * 1.0
    xs, ys = random.uniform(-1, 1, (40, 1)), random.uniform(0, 1, (40, 1))
    runs = []
    for compiled in (False, True):
        params = wine.initialize([2, 3, 1], True, np.random.default_rng(0))
        tensors = [t for layer in params for t in layer if t is not None]

        def wine_loss(x, y, params=params):
            p = wine.forward(params, x)
            return -(y * ag.log(p) + (1 - y) * ag.log(1 - p)).mean()
        net = sine.Net([1, 4, 1], "tanh", np.random.default_rng(1))

        def sine_loss(x, y, net=net):
            z = net.logits(x)
            return (ag.softplus(net.slope * z) - y * net.slope * z).sum() / len(x)
        losses = [ag.compile(f) if compiled else f for f in (wine_loss, sine_loss)]
        trajectory = []
        for _ in range(30):
            for loss_of, x_, y_, ts in ((losses[0], x, y, tensors),
                                        (losses[1], xs, ys, net.weights)):
                loss = loss_of(x_, y_)
                loss.backward()
                gradient_descent_step(ts, 0.5)
                trajectory.append(loss.item())
        runs.append((trajectory, [t.numpy().copy() for t in tensors + net.weights]))
    assert runs[1][0] == runs[0][0]
    for ours, theirs in zip(runs[1][1], runs[0][1]):
        np.testing.assert_array_equal(ours, theirs)


def test_a_model_passed_as_an_argument_is_keyed_by_identity():
    def loss_of(model, x):
        return model(x).sum()
    compiled = ag.compile(loss_of)
    first, second = nn.Linear(2, 1), nn.Linear(2, 1)
    x = ag.ones(3, 2)
    for model in (first, second, first):
        assert compiled(model, x).item() == pytest.approx(loss_of(model, x).item())
    assert compiled.trace_count == 2
    assert "def forward(x, weight, bias):" in compiled.code  # x named after its parameter


def test_a_list_argument_holding_other_tensors_traces_again():
    compiled = ag.compile(lambda ws, x: (ws[0] * x).sum())
    ws, x = [ag.tensor([1.0, 2.0])], ag.tensor([1.0, 1.0])
    assert compiled(ws, x).item() == 3.0
    ws[0] = ag.tensor([5.0, 5.0])
    assert compiled(ws, x).item() == 10.0
    assert compiled.trace_count == 2
