"""The training loop: fit, evaluate, predict, History, callbacks and the progress bar."""

import io
import sys

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
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, nn.data.xor(), epochs=epochs,
                     **options)
    return model, history


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_fit_learns_xor_and_history_records_it():
    model, history = fit_xor(val_data=nn.data.xor())
    assert len(history) == 150
    assert history.metrics["train_accuracy"][-1] == 1.0
    assert history["val_accuracy"][-1] == 1.0
    assert history.train_loss[-1] < 0.05 < history.train_loss[0]
    assert history.lr == [0.05] * 150 and all(t > 0 for t in history.time)
    x, y = nn.data.xor()
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
    loader = nn.data.DataLoader(nn.data.TensorDataset(*nn.data.xor()), batch_size=2,
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
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, nn.data.xor(), epochs=3,
                     scheduler=schedule, progress=False)
    assert history.lr == pytest.approx([0.1, 0.05, 0.025])


def test_fit_feeds_the_loss_to_reduce_on_plateau():
    model = xor_model()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.0)  # the loss never improves
    schedule = nn.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, factor=0.5)
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, nn.data.xor(), epochs=2,
                     scheduler=schedule, progress=False)
    assert schedule.best == pytest.approx(history.train_loss[0])
    assert schedule.num_bad_epochs == 0 and schedule.cooldown_counter == 0


def test_fit_restores_the_models_mode():
    model = xor_model().eval()
    nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1),
           nn.data.xor(), progress=False)
    assert model.training is False


# --- evaluate and predict ---------------------------------------------------------------------


def test_evaluate_matches_a_direct_computation():
    model = xor_model()
    x, y = nn.data.xor()
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
    assert nn.evaluate(xor_model(), nn.data.xor(), None, metrics=()) == {}


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


# --- progress bar -----------------------------------------------------------------------------


def run_with_stderr(monkeypatch, stream, progress=True):
    monkeypatch.setattr(sys, "stderr", stream)
    fit_xor(epochs=2, progress=progress, val_data=nn.data.xor())
    return stream.getvalue()


def test_progress_bar_appears_in_a_terminal(monkeypatch):
    output = run_with_stderr(monkeypatch, FakeTerminal())
    assert "epoch 1/2" in output and "epoch 2/2" in output
    assert "loss=" in output and "val_accuracy=" in output


def test_progress_bar_is_silent_when_not_a_terminal(monkeypatch):
    assert run_with_stderr(monkeypatch, io.StringIO()) == ""


def test_progress_false_is_silent_even_in_a_terminal(monkeypatch):
    assert run_with_stderr(monkeypatch, FakeTerminal(), progress=False) == ""


# --- callbacks --------------------------------------------------------------------------------


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    model = xor_model()
    stopper = nn.EarlyStopping(monitor="val_loss", patience=2)
    history = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.0),
                     nn.data.xor(), epochs=10, val_data=nn.data.xor(), callbacks=[stopper],
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
    _, history = fit_xor(epochs=2, val_data=nn.data.xor())
    records = history.to_dict()
    assert list(records) == ["epoch", "train_loss", "val_loss", "train_accuracy",
                             "val_accuracy", "lr", "time"]
    assert records["epoch"] == [1, 2] and history["val_loss"] == history.val_loss
    with pytest.raises(KeyError, match="History has no 'accuracy'"):
        history["accuracy"]
    assert repr(history).startswith("History(2 epochs; last: train_loss=")


def test_history_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    _, history = fit_xor(epochs=3, val_data=nn.data.xor())
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
                     train_data=nn.data.xor(), progress=False)
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
    ({"train_data": nn.data.DataLoader(nn.data.TensorDataset(*nn.data.xor(), np.ones(4)))},
     ValueError, r"each batch must be \(inputs, targets\), got 3"),
    ({"train_data": nn.data.DataLoader(nn.data.TensorDataset(*nn.data.xor()), batch_size=8,
                                       drop_last=True)},
     ValueError, r"yields no batch: its 4 samples are fewer than batch_size=8"),
])
def test_fit_misuse_is_reported(changes, error, message):
    with pytest.raises(error, match=message):
        fit_with(**changes)
