"""The training loop: fit, evaluate, predict, History, callbacks and the progress bar."""

import functools
import io
import math
import sys
import threading
import types

import numpy as np
import pytest

import autograd_lite as ag
import nn
from nn.training import accuracy


def xor_model(seed=0):
    ag.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))


def fit_xor(epochs=150, **kwargs):
    model = xor_model()
    optimizer = nn.optim.Adam(model.parameters(), lr=0.05)
    options = {"batch_size": 4, "progress": False, **kwargs}
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, nn.datasets.xor(), epochs=epochs,
                     **options)
    return model, history


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_fit_learns_xor_and_history_records_it():
    model, history = fit_xor(val_data=nn.datasets.xor())
    assert len(history) == 150
    assert history.metrics["train_accuracy"][-1] == 1.0
    assert history["val_accuracy"][-1] == 1.0
    assert history.train_loss[-1] < 0.05 < history.train_loss[0]
    assert history.lr == [0.05] * 150 and all(t > 0 for t in history.time)
    x, y = nn.datasets.xor()
    np.testing.assert_array_equal(nn.predict(model, x).numpy().argmax(axis=1), y)


def test_history_loss_is_the_sample_weighted_mean_of_the_batches():
    model = nn.Linear(1, 1)
    model.weight.data[...] = 2.0
    model.bias.data[...] = 0.0
    x = np.float32([[1], [2], [3]])
    y = np.float32([[0], [0], [0]])
    history = nn.fit(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.0), (x, y),
                     batch_size=2, shuffle=False, metrics=["mae"], progress=False)
    # batches {1, 2} and {3}: losses (4 + 16) / 2 and 36, weighted 2 and 1 -> 56 / 3
    assert history.train_loss == [pytest.approx(56 / 3)]
    assert history.metrics["train_mae"] == [pytest.approx(4.0)]


def test_fit_accepts_a_dataloader():
    loader = nn.data.DataLoader(nn.data.TensorDataset(*nn.datasets.xor()), batch_size=2,
                                shuffle=True, seed=0)
    model = xor_model()
    history = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1),
                     loader, epochs=2, progress=False)
    assert len(history.train_loss) == 2 and history.val_loss == []


def test_fit_is_reproducible_with_seeds():
    assert fit_xor(epochs=5, batch_size=2, seed=1)[1].train_loss == \
        fit_xor(epochs=5, batch_size=2, seed=1)[1].train_loss


def test_fit_steps_the_scheduler_each_epoch():
    model = xor_model()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    schedule = nn.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, nn.datasets.xor(), epochs=3,
                     scheduler=schedule, progress=False)
    assert history.lr == pytest.approx([0.1, 0.05, 0.025])


def test_fit_feeds_the_loss_to_reduce_on_plateau():
    model = xor_model()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.0)  # the loss never improves
    schedule = nn.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, factor=0.5)
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, nn.datasets.xor(), epochs=2,
                     scheduler=schedule, progress=False)
    assert schedule.best == pytest.approx(history.train_loss[0])
    assert schedule.num_bad_epochs == 0 and schedule.cooldown_counter == 0


def test_fit_restores_the_models_mode():
    model = xor_model().eval()
    nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1),
           nn.datasets.xor(), progress=False)
    assert model.training is False


# --- evaluate and predict ---------------------------------------------------------------------


def test_evaluate_matches_a_direct_computation():
    model = xor_model()
    x, y = nn.datasets.xor()
    result = nn.evaluate(model, (x, y), nn.CrossEntropyLoss(), batch_size=3)
    logits = model(ag.tensor(x)).numpy().astype(np.float64)
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    assert result["loss"] == pytest.approx(-log_probs[np.arange(4), y].mean(), rel=1e-5)
    assert result["accuracy"] == np.mean(logits.argmax(axis=1) == y)


def test_predict_runs_in_eval_mode_without_a_graph_and_restores_the_mode():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 50), nn.Dropout(0.5))
    x = np.ones((70, 3), np.float32)
    output = nn.predict(model, x, batch_size=32)
    assert output.shape == (70, 50) and not output.requires_grad
    np.testing.assert_allclose(output.numpy(), model.eval()(ag.tensor(x)).numpy())  # no dropout
    model.train()
    loader = nn.data.DataLoader(nn.data.TensorDataset(x), batch_size=16)
    np.testing.assert_allclose(nn.predict(model, loader).numpy(), output.numpy())
    nn.evaluate(model, (x, np.zeros(70, np.int64)), None)
    assert model.training is True


def test_evaluate_without_loss_reports_only_metrics():
    assert nn.evaluate(xor_model(), nn.datasets.xor(), None, metrics=()) == {}


# --- metrics ----------------------------------------------------------------------------------


def test_accuracy_of_a_single_output_thresholds_at_one_half():
    output = np.array([[0.2], [0.7], [0.51], [0.4]])
    assert accuracy(output, np.array([0, 1, 0, 1])) == 0.5
    assert accuracy(output[:, 0], np.float32([0, 1, 1, 0])) == 1.0


def test_accuracy_of_several_outputs_uses_the_argmax():
    output = np.array([[0.1, 2.0, 0.3], [1.0, 0.0, -1.0]])
    assert accuracy(output, np.array([1, 2])) == 0.5
    assert accuracy(output, np.array([[0, 1, 0], [1, 0, 0]])) == 1.0  # one-hot targets


def test_a_custom_metric_function_is_logged_by_its_name():
    def batch_size(output, target):
        return float(len(target))

    _, history = fit_xor(epochs=1, metrics=[batch_size, "accuracy"], batch_size=3)
    assert set(history.metrics) == {"train_batch_size", "train_accuracy"}
    assert history.metrics["train_batch_size"] == [pytest.approx((3 * 3 + 1 * 1) / 4)]


# --- progress ---------------------------------------------------------------------------------


def run_with_stderr(monkeypatch, stream, progress="auto"):
    monkeypatch.setattr(sys, "stderr", stream)
    _, history = fit_xor(epochs=2, progress=progress, val_data=nn.datasets.xor())
    return stream.getvalue(), history


def test_progress_bar_appears_in_a_terminal(monkeypatch):
    output, _ = run_with_stderr(monkeypatch, FakeTerminal())
    assert "epoch 1/2" in output and "epoch 2/2" in output and "batch/s" in output
    assert "loss=" in output and "val_accuracy=" in output


def test_progress_in_a_log_file_is_one_line_per_epoch(monkeypatch):
    # Earlier, progress was silent whenever stderr was not a terminal (Jupyter, log files).
    output, history = run_with_stderr(monkeypatch, io.StringIO())
    lines = output.splitlines()
    assert len(lines) == 2
    for epoch, line in enumerate(lines):
        assert line.startswith(
            f"epoch {epoch + 1}/2: loss={history.train_loss[epoch]:.4g} "
            f"accuracy={history['train_accuracy'][epoch]:.4g} "
            f"val_loss={history.val_loss[epoch]:.4g} "
            f"val_accuracy={history['val_accuracy'][epoch]:.4g} (")
        assert line.endswith(" s)")


def test_progress_true_forces_a_bar_outside_a_terminal(monkeypatch):
    output, _ = run_with_stderr(monkeypatch, io.StringIO(), progress=True)
    assert "epoch 1/2" in output and "batch/s" in output and "val_loss=" in output


def test_progress_false_is_silent_even_in_a_terminal(monkeypatch):
    assert run_with_stderr(monkeypatch, FakeTerminal(), progress=False)[0] == ""


def test_progress_in_jupyter_uses_the_widget_bar_when_ipywidgets_is_there(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.setitem(sys.modules, "ipywidgets", types.ModuleType("ipywidgets"))
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert nn.training._progress_mode("auto") == "notebook"
    assert nn.training._progress_mode(True) == "notebook"
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # not installed: print lines instead
    assert nn.training._progress_mode("auto") == "lines"


def test_progress_rejects_other_values():
    with pytest.raises(ValueError, match=r"^fit: progress must be 'auto', True or False, got "
                                         r"'bar'"):
        fit_xor(epochs=1, progress="bar")


# --- callbacks --------------------------------------------------------------------------------


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    model = xor_model()
    stopper = nn.EarlyStopping(monitor="val_loss", patience=2)
    history = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.0),
                     nn.datasets.xor(), epochs=10, val_data=nn.datasets.xor(), callbacks=[stopper],
                     progress=False)
    assert len(history) == 3 and stopper.best_epoch == 0 and stopper.stopped_epoch == 2


def test_early_stopping_maximises_accuracy_with_min_delta():
    stopper = nn.EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.05)
    assert stopper.mode == "max"
    assert stopper.on_epoch_end(0, {"val_accuracy": 0.5}) is False
    assert stopper.on_epoch_end(1, {"val_accuracy": 0.6}) is False
    assert stopper.on_epoch_end(2, {"val_accuracy": 0.64}) is True  # not better by > 0.05


def test_early_stopping_restores_the_best_weights():
    model = nn.Linear(1, 1)
    stopper = nn.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
    stopper.on_train_begin(model)
    model.weight.data[...] = 1.0
    stopper.on_epoch_end(0, {"val_loss": 0.5})
    model.weight.data[...] = 7.0
    stopper.on_epoch_end(1, {"val_loss": 0.9})
    stopper.on_train_end(model)
    assert model.weight.data.item() == 1.0


def test_early_stopping_names_the_available_logs():
    stopper = nn.EarlyStopping(monitor="val_loss")
    with pytest.raises(ValueError, match=r"'val_loss' is not among the logs \['train_loss'\]"):
        stopper.on_epoch_end(0, {"train_loss": 1.0})


# --- History ----------------------------------------------------------------------------------


def test_history_to_dict_and_lookup():
    _, history = fit_xor(epochs=2, val_data=nn.datasets.xor())
    records = history.to_dict()
    assert list(records) == ["epoch", "train_loss", "val_loss", "train_accuracy",
                             "val_accuracy", "lr", "time"]
    assert records["epoch"] == [1, 2] and history["val_loss"] == history.val_loss
    with pytest.raises(KeyError, match="History has no 'accuracy'"):
        history["accuracy"]
    assert repr(history).startswith("History(2 epochs; last: train_loss=")


def test_history_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    _, history = fit_xor(epochs=3, val_data=nn.datasets.xor())
    path = history.plot(str(tmp_path / "curves.png"))
    with open(path, "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"


def test_history_plot_without_matplotlib_names_the_extra(monkeypatch, tmp_path):
    _, history = fit_xor(epochs=1)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install autograd_lite\[examples\]"):
        history.plot(str(tmp_path / "curves.png"))


# --- misuse -----------------------------------------------------------------------------------


def fit_with(**changes):
    model = xor_model()
    arguments = dict(model=model, loss_fn=nn.CrossEntropyLoss(),
                     optimizer=nn.optim.SGD(model.parameters(), lr=0.1),
                     train_data=nn.datasets.xor(), progress=False)
    arguments.update(changes)
    return nn.fit(**arguments)


@pytest.mark.parametrize("changes, error, message", [
    ({"train_data": np.ones((4, 2))}, TypeError, "expected a DataLoader or a tuple"),
    ({"epochs": -1}, ValueError, "epochs must be a non-negative integer"),
    ({"model": "model"}, TypeError, "model must be callable"),
    ({"loss_fn": None}, TypeError, "loss_fn must be callable"),
    ({"optimizer": object()}, TypeError, "optimizer must have step"),
    ({"metrics": ["precision"]}, ValueError, "unknown metric 'precision'"),
    ({"loss_fn": nn.CrossEntropyLoss(reduction="none")}, ValueError,
     r"loss_fn must return a scalar Tensor, got \(4,\)"),
    ({"train_data": nn.data.DataLoader(nn.data.TensorDataset(*nn.datasets.xor(), np.ones(4)))},
     ValueError, r"each batch must be \(inputs, targets\), got 3"),
    ({"train_data": nn.data.DataLoader(nn.data.TensorDataset(*nn.datasets.xor()), batch_size=8,
                                       drop_last=True)},
     ValueError, r"yields no batch: its 4 samples are fewer than batch_size=8"),
])
def test_fit_misuse_is_reported(changes, error, message):
    with pytest.raises(error, match=message):
        fit_with(**changes)


# --- the accuracy that fits the loss ------------------------------------------------------------

# Logits x with weight 1 and bias 0: x > 0 (sigmoid > 1/2) is right for 5 of the 6 samples,
# x > 0.5 only for 3 (the old threshold, wrong for logits).
LOGIT_X = np.float32([[-2], [-1], [0.2], [0.3], [1], [2]])
LOGIT_Y = np.float32([[0], [0], [1], [1], [1], [0]])


def fixed_line(*tail):
    model = nn.Sequential(nn.Linear(1, 1), *tail)
    with ag.no_grad():
        model[0].weight.fill_(1.0)
        model[0].bias.fill_(0.0)
    return model


def fit_once(model, loss_fn, data, **options):
    """One epoch with lr=0, so the model that is measured is the model given."""
    return nn.fit(model, loss_fn, nn.optim.SGD(model.parameters(), lr=0.0), data,
                  batch_size=2, shuffle=False, progress=False, **options)


@pytest.mark.parametrize("loss_fn", [nn.BCEWithLogitsLoss(),
                                     nn.functional.binary_cross_entropy_with_logits])
def test_bce_with_logits_reads_accuracy_from_logits_at_zero(loss_fn):
    history = fit_once(fixed_line(), loss_fn, (LOGIT_X, LOGIT_Y))
    assert history.metrics["train_accuracy"] == [pytest.approx(5 / 6)]
    assert nn.evaluate(fixed_line(), (LOGIT_X, LOGIT_Y), loss_fn)["accuracy"] == \
        pytest.approx(5 / 6)


@pytest.mark.parametrize("loss_fn", [nn.BCELoss(), nn.functional.binary_cross_entropy])
def test_bce_reads_accuracy_from_probabilities_at_one_half(loss_fn):
    # sigmoid(x) > 0.5 is right for 5 of 6; a threshold at 0 would call all six positive (3/6)
    history = fit_once(fixed_line(nn.Sigmoid()), loss_fn, (LOGIT_X, LOGIT_Y))
    assert history.metrics["train_accuracy"] == [pytest.approx(5 / 6)]


def test_multi_label_bce_thresholds_every_element():
    model = nn.Identity()
    x = np.float32([[0.9, 0.2, 0.7], [0.1, 0.8, 0.4]])  # probabilities, 2 samples x 3 labels
    y = np.float32([[1, 0, 0], [0, 1, 0]])  # 5 of the 6 labels right (not an argmax)
    assert nn.evaluate(model, (x, y), nn.BCELoss())["accuracy"] == pytest.approx(5 / 6)


@pytest.mark.parametrize("loss_fn, model_tail", [
    (nn.CrossEntropyLoss(), ()),
    (functools.partial(nn.functional.cross_entropy, label_smoothing=0.1), ()),
    (nn.NLLLoss(), (nn.LogSoftmax(axis=1),)),
    (nn.functional.nll_loss, (nn.LogSoftmax(axis=1),)),
])
def test_class_losses_read_accuracy_from_the_argmax(loss_fn, model_tail):
    x = np.float32([[2, 1, 0], [0, 3, 1], [1, 0, 4], [5, 6, 0]])
    y = np.array([0, 1, 1, 0])  # argmaxes 0, 1, 2, 1: two right
    result = nn.evaluate(nn.Sequential(nn.Identity(), *model_tail), (x, y), loss_fn)
    assert result["accuracy"] == 0.5


@pytest.mark.parametrize("loss_fn", [nn.MSELoss(), nn.L1Loss(), nn.HuberLoss(),
                                     nn.SmoothL1Loss(), nn.functional.mse_loss,
                                     lambda output, target: ((output - target) ** 2).mean()])
def test_regression_and_unknown_losses_log_no_accuracy(loss_fn):
    # Earlier an MSE sine fit printed train_accuracy=0.898 (outputs thresholded at 0.5).
    x, y = nn.datasets.sine(n=64, seed=0)
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
    history = nn.fit(model, loss_fn, nn.optim.SGD(model.parameters(), lr=0.01), (x, y),
                     epochs=2, val_data=(x, y), progress=False)
    assert history.metrics == {} and len(history.val_loss) == 2
    assert set(nn.evaluate(model, (x, y), loss_fn)) == {"loss"}


def test_accuracy_with_a_regression_loss_is_an_error_naming_the_loss():
    with pytest.raises(ValueError, match=r"^fit: metric 'accuracy' means nothing for the "
                                         r"regression loss MSELoss; drop it, use "
                                         r"metrics=\['mae'\]"):
        fit_once(fixed_line(), nn.MSELoss(), (LOGIT_X, LOGIT_Y), metrics=["accuracy"])
    with pytest.raises(ValueError, match=r"^evaluate: metric 'accuracy' means nothing for the "
                                         r"regression loss l1_loss"):
        nn.evaluate(fixed_line(), (LOGIT_X, LOGIT_Y), nn.functional.l1_loss, ["accuracy"])


def test_accuracy_asked_of_an_unknown_loss_guesses_from_the_output_shape():
    def my_loss(output, target):
        return nn.functional.binary_cross_entropy_with_logits(output, target)

    history = fit_once(fixed_line(nn.Sigmoid()), my_loss, (LOGIT_X, LOGIT_Y),
                       metrics=["accuracy"])
    assert history.metrics["train_accuracy"] == [pytest.approx(5 / 6)]  # one output: at 0.5
    x = np.float32([[2, 1, 0], [0, 3, 1]])
    assert nn.evaluate(nn.Identity(), (x, np.array([0, 2])), None, ["accuracy"]) == \
        {"accuracy": 0.5}


def test_a_subclass_of_a_known_loss_is_read_like_it():
    class Weighted(nn.BCEWithLogitsLoss):
        pass

    history = fit_once(fixed_line(), Weighted(), (LOGIT_X, LOGIT_Y))
    assert history.metrics["train_accuracy"] == [pytest.approx(5 / 6)]


def test_metric_callables_run_beside_the_default():
    def positives(output, target):
        return float(np.mean(output > 0))

    history = fit_once(fixed_line(), nn.BCEWithLogitsLoss(), (LOGIT_X, LOGIT_Y),
                       metrics=[positives, "accuracy", "mae"])
    assert history.metrics["train_positives"] == [pytest.approx(4 / 6)]
    assert history.metrics["train_accuracy"] == [pytest.approx(5 / 6)]
    assert history.metrics["train_mae"] == [pytest.approx(np.mean(np.abs(LOGIT_X - LOGIT_Y)))]


# --- a loss that is not finite ------------------------------------------------------------------


class LossThatTurns:
    """MSE, but at call number ``at`` it returns ``value`` (NaN) or raises ``error``."""

    def __init__(self, at, value=math.nan, error=None, model=None):
        self.at, self.value, self.error, self.model = at, value, error, model
        self.calls = 0
        self.weights_then = None
        self.finite_values = []

    def __call__(self, output, target):
        self.calls += 1
        loss = nn.functional.mse_loss(output, target)
        if self.calls != self.at:
            self.finite_values.append(loss.item())
            return loss
        self.weights_then = self.model.weight.numpy().copy()
        if self.error is not None:
            raise self.error
        return loss * self.value


def line_data():
    x = np.float32([[1], [2], [3], [4], [5], [6]])
    return x, 2 * x + 1


def fit_line(loss_fn, model, **options):
    return nn.fit(model, loss_fn, nn.optim.SGD(model.parameters(), lr=0.01), line_data(),
                  epochs=3, batch_size=2, shuffle=False, progress=False, **options)


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_non_finite_loss_stops_fit_before_the_step_naming_where(value):
    model = nn.Linear(1, 1).eval()
    loss_fn = LossThatTurns(at=5, value=value, model=model)  # epoch 2 (3 steps each), step 2
    with pytest.raises(nn.NonFiniteLossError,
                       match=rf"^fit: the training loss is {value} at epoch 2, step 2 of 3; "
                             rf"stopped before that step changed the model. Try a smaller "
                             rf"learning rate \(lr=0.01 now\).*ag.detect_anomaly\(\)") as caught:
        fit_line(loss_fn, model)
    error = caught.value
    assert (error.epoch, error.step) == (2, 2) and (math.isnan(error.loss) or error.loss == value)
    assert len(error.history) == 1 and math.isfinite(error.history.train_loss[0])
    # the stopped epoch's one finite step (call 4: epoch 2, step 1) is kept too
    assert error.epoch_logs == {"train_loss": pytest.approx(loss_fn.finite_values[3])}
    np.testing.assert_array_equal(model.weight.numpy(), loss_fn.weights_then)
    assert model.weight.grad is None or np.isfinite(model.weight.grad.numpy()).all()
    assert model.training is False


def test_terminate_on_nan_false_trains_on_regardless():
    model = nn.Linear(1, 1)
    history = fit_line(LossThatTurns(at=5, model=model), model, terminate_on_nan=False)
    assert len(history) == 3 and math.isnan(history.train_loss[1])
    assert np.isnan(model.weight.numpy()).all()  # what stepping with a NaN gradient does


# --- Ctrl-C ---------------------------------------------------------------------------------------


def test_keyboard_interrupt_in_the_loss_returns_the_history_so_far():
    model = nn.Linear(1, 1).eval()
    loss_fn = LossThatTurns(at=5, error=KeyboardInterrupt(), model=model)
    with pytest.warns(RuntimeWarning, match=r"^fit: interrupted \(KeyboardInterrupt\) in epoch "
                                            r"2 at step 2 of 3; returning the History of the 1 "
                                            r"finished epochs"):
        history = fit_line(loss_fn, model)
    assert history.interrupted and len(history) == 1
    assert model.training is False
    np.testing.assert_array_equal(model.weight.numpy(), loss_fn.weights_then)


def test_keyboard_interrupt_in_a_callback_keeps_the_epochs_it_finished():
    class StopAfterSecondEpoch(nn.Callback):
        def on_epoch_end(self, epoch, logs):
            if epoch == 1:
                raise KeyboardInterrupt

    model = nn.Linear(1, 1)
    with pytest.warns(RuntimeWarning, match="in epoch 2 at step 3 of 3; returning the History "
                                            "of the 2 finished epochs"):
        history = fit_line(nn.MSELoss(), model, callbacks=[StopAfterSecondEpoch()])
    assert history.interrupted and len(history) == 2 and model.training is True
    assert not fit_line(nn.MSELoss(), model).interrupted


# --- randomness of one's own --------------------------------------------------------------------


def dropout_model():
    ag.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Dropout(0.5), nn.Linear(16, 2))


def fit_with_dropout(model, seed):
    x, y = nn.datasets.moons(n=96, noise=0.2, seed=0)
    return nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1),
                  (x, y), epochs=4, batch_size=8, seed=seed, progress=False).train_loss


def test_fit_with_a_seed_repeats_with_dropout_and_leaves_the_process_generator_alone():
    first = fit_with_dropout(dropout_model(), seed=1)
    model = dropout_model()
    ag.rand(10)  # a different process-wide state must not matter
    assert fit_with_dropout(model, seed=1) == first
    assert fit_with_dropout(dropout_model(), seed=2) != first
    model = dropout_model()
    ag.manual_seed(5)
    fit_with_dropout(model, seed=1)
    np.testing.assert_array_equal(ag.rand(3, dtype="float64").numpy(),
                                  np.random.default_rng(5).random(3))


def test_threads_fitting_with_seeds_match_running_one_after_the_other():
    seeds = (1, 2, 3)
    models = [dropout_model() for _ in seeds]
    sequential = [fit_with_dropout(dropout_model(), seed) for seed in seeds]
    results = {}
    start = threading.Barrier(len(seeds))

    def worker(model, seed):
        start.wait()
        results[seed] = fit_with_dropout(model, seed)

    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # interleave the threads as finely as possible
    try:
        threads = [threading.Thread(target=worker, args=pair) for pair in zip(models, seeds)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch_interval)
    assert [results[seed] for seed in seeds] == sequential


def test_fit_evaluate_and_predict_train_a_float32_model_on_float64_numpy_data():
    # scikit-learn's arrays are float64; as constants they take the model's dtype (README,
    # "Dtypes"), so the run stays float32 and gives the numbers of float32 data.
    rng = np.random.default_rng(0)
    x64 = rng.normal(size=(64, 2))
    y64 = (x64[:, :1] > 0).astype(np.float64)
    histories = []
    for x, y in [(x64, y64), (x64.astype(np.float32), y64.astype(np.float32))]:
        ag.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
        history = nn.fit(model, nn.BCEWithLogitsLoss(), nn.optim.SGD(model.parameters(), lr=0.5),
                         (x, y), epochs=3, batch_size=16, progress=False)
        histories.append(history["train_loss"])
        assert all(p.dtype == np.float32 for p in model.parameters())
        assert nn.predict(model, x).dtype == np.float32
        assert nn.evaluate(model, (x, y), nn.BCEWithLogitsLoss())["loss"] > 0
    assert histories[0] == histories[1]
