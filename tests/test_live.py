"""The live view without a browser: statistics, the server over HTTP, reports, notebooks, fit."""

from __future__ import annotations

import http.client
import json
import math
import socket
import sys
import time
import types
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import numpy as np
import pytest

import autograd_lite as ag
import nn
from autograd_lite.viz import StepRecording, describe, fold
from nn.live import collector, graph
from nn.live import view as view_module

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def xor_net() -> nn.Sequential:
    ag.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).to(np.float64)


def recorded_step(model, optimizer=None):
    recorder = StepRecording()
    recorder.start()
    output = model(ag.tensor(X))
    loss = nn.functional.mse_loss(output, ag.tensor(Y))
    loss.backward()
    recorder.stop()
    if optimizer is not None:
        optimizer.step()
    return recorder, output, loss


# --- statistics -------------------------------------------------------------------------------


def test_summary_counts_mean_std_and_tanh_saturation():
    values = np.array([-0.99, -0.5, 0.0, 0.5, 0.98, 0.2])
    result = collector.summary(values, "tanh")
    assert result["mean"] == pytest.approx(values.mean())
    assert result["std"] == pytest.approx(values.std())
    assert sum(result["hist"]) == 6 and len(result["hist"]) == collector.BINS
    assert (result["lo"], result["hi"]) == (-0.99, 0.98)
    assert result["saturated"] == pytest.approx(2 / 6)  # |-0.99| and 0.98 are above 0.97


def test_summary_of_sigmoid_saturation_and_nonfinite_values():
    result = collector.summary(np.array([0.001, 0.5, 0.999, np.nan, np.inf]), "sigmoid")
    assert result["nonfinite"] == 2
    assert result["saturated"] == pytest.approx(2 / 3)  # over the finite values
    assert result["mean"] == pytest.approx((0.001 + 0.5 + 0.999) / 3)


def test_summary_of_values_equal_up_to_rounding_has_one_full_bin():
    result = collector.summary(np.array([1.0, 1.0 + 1e-15, 1.0]))
    assert sum(result["hist"]) == 3 and max(result["hist"]) == 3 and result["std"] < 1e-15


def test_a_failing_statistic_warns_and_never_stops_training(monkeypatch):
    def broken(*args):
        raise ValueError("boom")
    monkeypatch.setattr(collector, "layer_stats", broken)
    view = nn.LiveView(serve=False)
    with pytest.warns(RuntimeWarning, match="step 2 failed .ValueError: boom"):
        train_steps(view, xor_net(), 3)
    view.finish()
    assert view.step == 3 and view.samples == 1


def test_layers_of_a_sequential_are_its_module_outputs_with_their_gradients():
    model = xor_net()
    recorder, output, _ = recorded_step(model)
    layers = collector.layer_outputs(recorder.tensors)
    assert list(layers) == ["0: Linear", "1: Tanh", "2: Linear"]
    (last,) = [run.output for run in layers["2: Linear"]]
    np.testing.assert_array_equal(last.data, output.data)
    # d mean((out - y)^2) / d out = 2 (out - y) / N, computed by hand
    np.testing.assert_allclose(last.grad.data, 2 * (output.data - Y) / 4, rtol=1e-12)
    hidden = np.tanh(X @ model[0].weight.data.T + model[0].bias.data)
    np.testing.assert_allclose(layers["1: Tanh"][0].output.data, hidden, rtol=1e-12)


def test_a_loss_module_is_not_a_layer():
    model = xor_net()
    recorder = StepRecording()
    recorder.start()
    loss = nn.MSELoss()(model(ag.tensor(X)), ag.tensor(Y))
    loss.backward()
    recorder.stop()
    stats = collector.layer_stats(recorder.tensors, loss)
    assert [layer["name"] for layer in stats] == ["0: Linear", "1: Tanh", "2: Linear"]
    assert stats[1]["act"]["saturated"] is not None and "saturated" not in stats[0]["act"]


def test_update_to_data_ratio_is_log10_of_the_update_std_over_the_data_std():
    model = xor_net()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    before = {name: p.data.copy() for name, p in model.named_parameters()}
    recorder, _, _ = recorded_step(model, optimizer)
    stats = {s["name"]: s for s in collector.parameter_stats(dict(model.named_parameters()),
                                                             before)}
    grad = model[0].weight.grad.data
    expected = math.log10(np.std(0.1 * grad) / np.std(before["0.weight"]))
    assert stats["0.weight"]["log10_ratio"] == pytest.approx(expected, rel=1e-9)
    assert stats["0.weight"]["grad_norm"] == pytest.approx(np.linalg.norm(grad))
    assert stats["0.weight"]["nonfinite"] == 0


def test_nonfinite_parameters_and_activations_are_counted():
    model = xor_net()
    model[0].weight.data[0, 0] = np.nan
    recorder, _, loss = recorded_step(model)
    layers = collector.layer_stats(recorder.tensors, loss)
    assert layers[0]["act"]["nonfinite"] == 4  # one hidden unit, four samples
    params = collector.parameter_stats(dict(model.named_parameters()), {})
    assert params[0]["name"] == "0.weight" and params[0]["nonfinite"] >= 1


def test_recorder_gives_back_the_graph_that_backward_freed_then_frees_it_again():
    model = xor_net()
    recorder, output, loss = recorded_step(model)
    assert loss._inputs is None  # backward() freed it
    with recorder.restored_graph():
        assert loss._inputs is not None
        tensors = [n for n in describe([loss], {}).nodes if n.kind == "tensor"]
    assert loss._inputs is None
    assert len(tensors) > 8


# --- the graph --------------------------------------------------------------------------------


def test_fold_can_leave_one_module_open():
    model = xor_net()
    loss = nn.functional.mse_loss(model(ag.tensor(X)), ag.tensor(Y))
    description = describe([loss], {id(p): n for n, p in model.named_parameters()})
    root = ("", "Sequential")
    opened = fold(description, 1, unfolded={(root, ("1", "Tanh"))})
    boxes = [node.fields["module"] for node in opened.nodes if node.kind == "module"]
    assert boxes == [("0", "Linear"), ("2", "Linear")]
    (tanh,) = [node for node in opened.nodes if node.kind == "op" and node.fields["op"] == "tanh"]
    assert tanh.scope == (root, ("1", "Tanh"))


def test_graph_payload_folds_by_module_and_orders_backward_from_the_loss():
    model = xor_net()
    recorder, _, loss = recorded_step(model)
    names = {id(p): n for n, p in model.named_parameters()}
    with recorder.restored_graph():
        snap = graph.snapshot(loss, names, 7)
    payload = graph.to_payload(snap)
    assert payload["step"] == 7
    assert set(payload["svg"]) == {"", "0", "1", "2", "*"}
    assert all(svg.startswith("<svg") for svg in payload["svg"].values())
    assert sorted(payload["unfold"][""].values()) == ["0", "1", "2"]
    order = payload["order"]
    numbers = [int(node_id[1:]) for node_id in order]
    assert numbers == sorted(numbers, reverse=True)
    loss_id = next(i for i, text in payload["info"]["*"].items() if text.startswith("output"))
    assert order[0] == loss_id and payload["grads"][loss_id] == "1"
    weight_id = next(i for i, text in payload["info"]["*"].items()
                     if text.startswith("0.weight"))
    assert weight_id in order and "shape (3, 2)" in payload["info"]["*"][weight_id]


def test_a_served_page_gets_the_folded_drawing_and_asks_for_the_others():
    model = xor_net()
    recorder, _, loss = recorded_step(model)
    with recorder.restored_graph():
        snap = graph.snapshot(loss, {}, 3)
    payload = graph.to_payload(snap, every_module=False)
    assert list(payload["svg"]) == [""] and payload["order"]
    opened = graph.module_drawing(snap, "1")
    assert opened["svg"].startswith("<svg") and any(
        text == "op tanh" for text in opened["info"].values())
    assert len(graph.module_drawing(snap, "*")["info"]) > len(payload["info"][""])
    assert graph.module_drawing(snap, "no such module") is None


def test_the_server_sends_a_module_drawing_of_a_recent_graph_and_404_otherwise():
    model = xor_net()
    with nn.LiveView(quiet=True, budget=0.9) as view:
        train_steps(view, model, 3)
        view._graphs.close()
        base = view.url.replace("/?", "/graph?")
        with urllib.request.urlopen(f"{base}&step=2&unfold=1", timeout=10) as response:
            assert response.headers["Content-Type"] == "application/json"
            assert json.loads(response.read())["svg"].startswith("<svg")
        for query in ("&step=1&unfold=1", "&step=2&unfold=9", "&unfold=1"):
            with pytest.raises(urllib.error.HTTPError) as error:
                urllib.request.urlopen(base + query, timeout=10)
            assert error.value.code == 404


# --- the server over HTTP ---------------------------------------------------------------------


def read_until(response, marker: str, limit: int = 200) -> str:
    """The stream up to the end of the event that contains ``marker``."""
    seen = ""
    for _ in range(limit):
        seen += response.readline().decode()
        if marker in seen and seen.endswith("\n\n"):
            return seen
    raise AssertionError(f"{marker!r} not in the stream: {seen[:500]}")


def train_steps(view, model, steps: int) -> None:
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(ag.tensor(X)), ag.tensor(Y))
        loss.backward()
        optimizer.step()
        view.update(model, loss)


def test_without_server_or_notebook_only_the_last_graph_is_drawn_whole_at_the_end():
    view, model = nn.LiveView(serve=False, budget=0.9, graph_seconds=0), xor_net()
    while view.samples < 3:  # the third sample is the last step's
        train_steps(view, model, 1)
    assert "graph" not in [kind for kind, _ in view.log.events()]
    view.finish()
    (drawn,) = [json.loads(text) for kind, text in view.log.events() if kind == "graph"]
    assert drawn["step"] == view.step and set(drawn["svg"]) == {"", "0", "1", "2", "*"}


def test_a_graph_waiting_for_its_budget_is_replaced_by_each_later_sample(monkeypatch):
    monkeypatch.setattr(view_module, "FIRST_DOT_SECONDS", 1000.0)  # it waits until the end
    view, model = nn.LiveView(quiet=True, budget=0.9, graph_seconds=100), xor_net()
    while view.samples < 3:
        train_steps(view, model, 1)
    assert "graph" not in [kind for kind, _ in view.log.events()]
    view.close()
    (drawn,) = [json.loads(text) for kind, text in view.log.events() if kind == "graph"]
    assert drawn["step"] == view.step > 2  # the last sample's, not the first's


def test_a_failing_drawing_warns_and_training_goes_on_without_graphs(monkeypatch):
    def broken(*args):
        raise RuntimeError("dot crashed")
    monkeypatch.setattr(graph, "to_payload", broken)
    monkeypatch.setattr(view_module, "FIRST_DOT_SECONDS", 0.0)  # drawn as soon as sampled
    monkeypatch.setattr(view_module, "FIRST_DRAWING_SECONDS", 0.0)
    view, model = nn.LiveView(quiet=True, budget=0.9, graph_seconds=0), xor_net()
    with pytest.warns(RuntimeWarning, match="drawing the graph of step 2 failed.*dot crashed"):
        while view.samples < 3:
            train_steps(view, model, 1)
    train_steps(view, model, 2)  # no second warning: no more graphs are drawn
    view.close()
    kinds = [kind for kind, _ in view.log.events()]
    assert "graph" not in kinds and kinds.count("stats") >= 3 and kinds[-1] == "end"


def test_server_listens_on_localhost_and_needs_the_token():
    with nn.LiveView(quiet=True) as view:
        url = urlsplit(view.url)
        assert url.hostname == "127.0.0.1"
        with urllib.request.urlopen(view.url, timeout=10) as response:
            page = response.read().decode()
        assert "EventSource" in page and "<script src" not in page
        for path in ("/", "/events", f"/?token={view.server.token}x"):
            with pytest.raises(urllib.error.HTTPError) as error:
                urllib.request.urlopen(f"http://127.0.0.1:{url.port}{path}", timeout=10)
            assert error.value.code == 403


def test_events_are_pushed_and_a_closed_tab_does_not_disturb_training():
    model = xor_net()
    with nn.LiveView(quiet=True, budget=0.9, graph_seconds=0) as view:
        port, token = view.server.port, view.server.token
        abandoned = socket.create_connection(("127.0.0.1", port), timeout=10)
        abandoned.sendall(f"GET /events?token={token} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        abandoned.recv(100)
        abandoned.close()  # a tab closed mid-stream
        train_steps(view, model, 5)
        view._flush()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", f"/events?token={token}")
        response = connection.getresponse()
        assert response.getheader("Content-Type") == "text/event-stream"
        seen = read_until(response, "event: steps")
        assert "event: meta" in seen and "event: stats" in seen
        data = json.loads(seen.split("event: steps\ndata: ")[1].split("\n")[0])
        assert data["first"] == 1 and len(data["loss"]) == 5
        train_steps(view, model, 3)  # training goes on while the page listens
        view._flush()
        later = read_until(response, '"first":6')
        data = json.loads(later.split("event: steps\ndata: ")[-1].split("\n")[0])
        assert data["first"] == 6 and len(data["loss"]) == 3
        connection.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_a_reconnecting_page_resumes_after_the_last_event_it_saw():
    with nn.LiveView(quiet=True) as view:
        view.log.publish("epoch", {"epoch": 1})
        connection = http.client.HTTPConnection("127.0.0.1", view.server.port, timeout=10)
        connection.request("GET", f"/events?token={view.server.token}",
                           headers={"Last-Event-ID": "1"})
        seen = read_until(connection.getresponse(), "event: epoch")
        assert "event: meta" not in seen and "id: 2" in seen
        connection.close()


def test_two_views_get_two_ports_and_tokens():
    with nn.LiveView(quiet=True) as first, nn.LiveView(quiet=True) as second:
        assert first.server.port != second.server.port
        assert first.server.token != second.server.token


def test_stay_keeps_serving_after_finish_until_close():
    view = nn.LiveView(quiet=True, stay=True)
    view.finish()
    with urllib.request.urlopen(view.url, timeout=10) as response:
        assert response.status == 200
    view.close()
    with pytest.raises(OSError):
        urllib.request.urlopen(view.url, timeout=2)


def test_nonfinite_losses_travel_as_strings_the_page_reads():
    view = nn.LiveView(serve=False)
    view.update(xor_net(), float("nan"))
    view.update(xor_net(), float("inf"))
    view.finish()
    (steps,) = [json.loads(text) for kind, text in view.log.events() if kind == "steps"]
    assert steps["loss"] == ["NaN", "Infinity"]


def test_epochs_travel_as_columns_with_null_where_an_epoch_lacks_a_log():
    view = nn.LiveView(serve=False)
    view.update(xor_net(), 1.0)
    view.epoch_end(0, {"train_loss": 1.0})
    view.update(xor_net(), 0.5)
    view.epoch_end(1, {"train_loss": 0.5, "val_loss": 0.75})
    view.finish()
    (epochs,) = [json.loads(text) for kind, text in view.log.events() if kind == "epochs"]
    assert epochs == {"epoch": [1, 2], "step": [1, 2],
                      "logs": {"train_loss": [1.0, 0.5], "val_loss": [None, 0.75]}}


def test_view_arguments_are_checked():
    with pytest.raises(ValueError, match="budget"):
        nn.LiveView(serve=False, budget=0)
    with pytest.raises(TypeError, match="live must be"):
        nn.fit(xor_net(), nn.MSELoss(), nn.optim.SGD(xor_net().parameters(), lr=0.1), (X, Y),
               live="yes", progress=False)


# --- fit, reports, notebooks ------------------------------------------------------------------


def test_fit_without_live_or_report_makes_no_view(monkeypatch):
    class NoView(nn.LiveView):
        def __init__(self, *args, **kwargs):
            raise AssertionError("a LiveView was made")
    monkeypatch.setattr("nn.training.LiveView", NoView)
    model = xor_net()
    nn.fit(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.1), (X, Y), epochs=2,
           progress=False)


def test_fit_report_writes_one_self_contained_page(tmp_path):
    model = xor_net()
    path = tmp_path / "train.html"
    nn.fit(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.5), (X, Y), epochs=3,
           batch_size=4, val_data=(X, Y), progress=False,
           live=nn.LiveView(serve=False, budget=0.9, graph_seconds=0), report=path)
    html = path.read_text()
    assert "<script src" not in html and "<link" not in html and "@import" not in html
    events = json.loads(html.split("const EMBEDDED = ")[1].split(";\n")[0])
    kinds = [kind for kind, _ in events]
    assert "stats" in kinds and kinds.count("graph") == 1
    (epochs,) = [payload for kind, payload in events if kind == "epochs"]
    assert epochs["epoch"] == [1, 2, 3] and epochs["step"] == [1, 2, 3]
    assert len(epochs["logs"]["val_loss"]) == 3 and None not in epochs["logs"]["train_loss"]
    steps = [payload for kind, payload in events if kind == "steps"]
    assert [s["first"] for s in steps] == [1] and len(steps[0]["loss"]) == 3
    assert "</script>" not in html.split("const EMBEDDED = ")[1].split("</script>")[0]


def fake_notebook(monkeypatch, shown: list, seconds: float = 0.0) -> None:
    """Make ``nn.live`` believe it runs in a Jupyter kernel whose ``display`` (IPython's, given
    raw MIME bundles) appends to ``shown`` and takes ``seconds``."""
    class Handle:
        def update(self, bundle, raw=False):
            assert raw is True
            time.sleep(seconds)
            shown.append(("update", bundle["text/html"]))

    def display(bundle, raw=False, display_id=False):
        assert raw is True and display_id is True
        shown.append(("display", bundle["text/html"]))
        return Handle()

    fake_display = types.ModuleType("IPython.display")
    fake_display.display = display
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.setitem(sys.modules, "IPython", types.ModuleType("IPython"))
    monkeypatch.setitem(sys.modules, "IPython.display", fake_display)


def test_in_a_notebook_the_view_is_displayed_inline_and_updated_in_place(monkeypatch):
    shown = []
    fake_notebook(monkeypatch, shown)
    monkeypatch.setattr(view_module, "NOTEBOOK_SECONDS", 0.0)
    monkeypatch.setattr(view_module, "FLUSH_SECONDS", 0.0)
    model = xor_net()
    view = nn.LiveView(budget=0.9)
    assert view.server is None and view.url is None  # inline instead of served
    history = nn.fit(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.1), (X, Y),
                     epochs=2, batch_size=2, progress=False, live=view)
    assert len(history) == 2
    assert shown[0][0] == "display" and all(kind == "update" for kind, _ in shown[1:])
    assert len(shown) >= 2  # at the start and at the end (redraws between: the next test)
    last = shown[-1][1]
    assert last.startswith("<iframe srcdoc=") and "&quot;end&quot;" in last
    # while training the page says it is redrawn; at the end, that it finished
    assert "const REDRAWN = true" in shown[0][1] and "const REDRAWN = /*REDRAWN*/false" in last


def test_inline_redraws_stay_within_a_quarter_of_the_budget(monkeypatch):
    shown = []
    redraw = 0.02
    fake_notebook(monkeypatch, shown, seconds=redraw)
    monkeypatch.setattr(view_module, "NOTEBOOK_SECONDS", 0.0)
    monkeypatch.setattr(view_module, "FLUSH_SECONDS", 0.0)
    view = nn.LiveView(budget=0.2)
    started = time.perf_counter()
    while time.perf_counter() - started < 1.0:
        time.sleep(0.002)  # a training step
        view.update(None, 1.0)
    elapsed = time.perf_counter() - started
    updates = sum(kind == "update" for kind, _ in shown)
    # Each redraw waits until the redraws so far, and itself, fit in budget / 4 of the time.
    assert 2 <= updates and updates * redraw <= view.budget / 4 * elapsed + redraw
    view.finish()
    assert shown[-1][0] == "update" and "&quot;end&quot;" in shown[-1][1]


def test_without_a_kernel_there_is_no_notebook_display(monkeypatch):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert view_module.notebook_display() is None
