"""``LiveView``: watch a training run learn, in the browser, while it runs.

    view = nn.LiveView()                 # prints http://127.0.0.1:<port>/?token=...
    for x, y in loader:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        view.update(model, loss)         # every step
    view.close()

``nn.fit(..., live=True)`` does the same for you; ``report="train.html"`` writes the page as
one self-contained file at the end. What it costs: a float and a list append per step; the
statistics (``nn.live.collector``) and the graph (``nn.live.graph``) only on sampled steps,
chosen so that everything the view does stays within ``budget`` of the training's wall time:
half for the curves and the statistics, half for drawing graphs (the sampling period adapts:
fast steps are sampled less often). Without a view, nothing runs at all.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from autograd_lite import Tensor
from autograd_lite.viz import StepRecording

from . import collector, graph
from .server import EventLog, LiveServer

PAGE = Path(__file__).with_name("page.html")
FLUSH_SECONDS = 0.25  # loss points reach the page in batches at most this often
NOTEBOOK_SECONDS = 2.0  # an inline notebook view is redrawn at most this often
# A guess of a snapshot's drawing time (dot's start, then each drawing), until one is measured.
FIRST_DOT_SECONDS, FIRST_DRAWING_SECONDS = 0.015, 0.01
RECENT_GRAPHS = 4  # graphs kept for the drawings a page asks for (it may lag a redraw or two)


class LiveView:
    """The live page of one training run; call ``update(model, loss)`` after each step.

    ``serve``: run the local web server (default: yes, except inside Jupyter, where the page is
    displayed inline and redrawn in place). ``port``: 0 picks a free one. ``stay``: keep serving
    after ``finish()`` (``close()`` stops). ``report``: a path to write the page to as one
    self-contained HTML file when training finishes. ``budget``: the fraction of the wall time
    that the view may take, all of it counted (0.01 = 1 %): the curves and the sampled
    statistics take at most half of it, drawing graphs the other half. ``graph_seconds``:
    redraw the graph at most this often. ``title`` heads the page.

    Attributes: ``url`` (None without a server), ``step``, ``samples`` (sampled steps so far),
    ``overhead`` (the fraction of the wall time the view took).
    Raises ValueError for a budget outside (0, 1) or a negative ``graph_seconds``.
    """

    def __init__(self, *, serve: bool | None = None, port: int = 0, stay: bool = False,
                 report: str | os.PathLike | None = None, budget: float = 0.01,
                 graph_seconds: float = 2.0, title: str = "training",
                 quiet: bool = False) -> None:
        if not 0 < budget < 1:
            raise ValueError(f"LiveView: budget is the fraction of training time the "
                             f"statistics may take, in (0, 1), got {budget!r}")
        if graph_seconds < 0:
            raise ValueError(f"LiveView: graph_seconds must be >= 0, got {graph_seconds!r}")
        self.budget, self.graph_seconds, self.stay = budget, graph_seconds, stay
        self.report = None if report is None else Path(report)
        self.log = EventLog()
        self.log.publish("meta", {"title": title})
        self._notebook = notebook_display() if serve is None else None
        self.server = LiveServer(self.log, self.page, self._module_drawing, port) if (
            serve or (serve is None and self._notebook is None)) else None
        self.url = None if self.server is None else self.server.url
        if self.url and not quiet:
            print(f"nn.live: watch the training at {self.url}", flush=True)
        self.step = self.samples = 0
        self._losses: list[float] = []  # of the steps after the last flush
        self._epochs: list[tuple[int, int, dict]] = []  # (epoch, step, logs) after it
        self._started = self._last_end = time.perf_counter()
        self._flushed = self._next_inline = self._started
        self._inline_cost = 0.0
        self._cost = 0.0
        self._next_sample = self._started
        self._typical_step: float | None = None
        self._graph_time: float | None = None
        self._before: dict[str, np.ndarray] = {}
        self._recorder = StepRecording()
        # Without a server every drawing comes with one per module (nothing could ask for them
        # later); with neither a server nor a notebook no one sees a graph before the report.
        self._graphs = _Graphs(self.log, every_module=self.server is None,
                                    deferred=self.server is None and self._notebook is None)
        self._finished = self._sampling_stopped = False
        if self._notebook is not None:
            self._draw_inline()
        # The first update arms the recorder in the training's thread (ops are observed per
        # thread, and a view may be made in another one), so the second step is sampled.

    # --- each step ----------------------------------------------------------------------------

    def update(self, model: Any, loss: Tensor | float) -> None:
        """Record one finished step (after ``backward()`` and the optimizer's ``step()``).

        ``model`` is the module trained (its parameters give the update:data ratios and name
        the graph's leaves); ``loss`` the step's loss tensor (or a number: then no graph).
        """
        start = time.perf_counter()
        interval = start - self._last_end
        self.step += 1
        self._losses.append(float(loss.item()) if isinstance(loss, Tensor) else float(loss))
        if self._recorder.recording:
            self._recorder.stop()
            try:
                self._sample(model, loss if isinstance(loss, Tensor) else None, start)
            except Exception as error:  # watching must never be what stops a training run
                self._recorder.clear()
                self._sampling_stopped = True  # the curves go on
                warnings.warn(f"LiveView: collecting the statistics of step {self.step} "
                              f"failed ({type(error).__name__}: {error}); the view goes on "
                              f"with the loss curves only", RuntimeWarning, stacklevel=2)
            # What recording cost inside forward and backward: the step's excess over a plain one.
            extra = max(0.0, interval - self._typical_step) if self._typical_step else 0.0
            self._cost += extra
            cost = time.perf_counter() - start + extra
            # The next sample waits until the time spent so far on curves and statistics, and
            # twice this sample's (a margin), is within their half of the budget: fast steps or
            # slow statistics sample less often.
            self._next_sample = self._started + (self._cost + 2 * cost) / (self.budget / 2)
        elif self._typical_step is None:
            self._typical_step = interval
        else:
            self._typical_step += 0.1 * (interval - self._typical_step)
        if start - self._flushed >= FLUSH_SECONDS:
            self._publish_pending()
        elif start >= self._next_sample and not self._sampling_stopped:
            self._arm(model)
        drawing = self._graphs.draw_if_due(start)  # counted as the graphs' own cost
        self._last_end = time.perf_counter()
        self._cost += self._last_end - start - drawing  # every update counts, sampled or not

    def _publish_pending(self) -> None:
        """Flush the loss points (and redraw the inline view)."""
        self._flush()
        if self._notebook is not None and self._flushed >= self._next_inline:
            self._draw_inline()

    def _arm(self, model: Any) -> None:
        """Sample the next step: remember the parameters, record its ops."""
        self._before = {name: p._data.copy()
                        for name, p in collector.named_parameters(model).items()}
        self._recorder.start()

    def epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        """Record the means of epoch ``epoch`` (from 0): ``train_loss``, ``val_loss``, metrics.

        They reach the page with the next batch of loss points (epochs may be one step long).
        """
        start = time.perf_counter()
        self._epochs.append((epoch + 1, self.step, dict(logs)))
        self._cost += time.perf_counter() - start

    @property
    def overhead(self) -> float:
        """The fraction of the wall time since the view started that the view took (the
        curves, the statistics and drawing graphs)."""
        return self._spent() / max(time.perf_counter() - self._started, 1e-9)

    def _spent(self) -> float:
        return self._cost + self._graphs.cost

    def _sample(self, model: Any, loss: Tensor | None, now: float) -> None:
        self.samples += 1
        tensors = self._recorder.tensors
        parameters = collector.named_parameters(model)
        self.log.publish("stats", {
            "step": self.step, "every": round(self.step / self.samples, 1),
            "overhead": self.overhead,
            "layers": collector.layer_stats(tensors, loss),
            "params": collector.parameter_stats(parameters, self._before)}, wake=False)
        # A graph at most every graph_seconds; it is drawn once drawing graphs, this one
        # included, takes at most the other half of the budget, and each sample replaces it
        # with a newer snapshot while it waits (a run too short for that gets the last
        # sample's graph drawn when it ends).
        waiting = self._graphs.waiting
        if (loss is not None
                and (waiting or self._graph_time is None
                     or now - self._graph_time >= self.graph_seconds)
                and any(t is loss for t in reversed(tensors))):
            if not waiting:
                self._graph_time = now
            names = {id(p): name for name, p in parameters.items()}
            with self._recorder.restored_graph():
                snapshot = graph.snapshot(loss, names, self.step)
            self._graphs.submit(snapshot, self._started + (
                self._graphs.cost + self._graphs.expected_cost(snapshot)) / (self.budget / 2))
        self._recorder.clear()

    def _flush(self) -> None:
        """Publish the loss points and epochs since the last flush, as columns (steps are
        numbered from ``first``; a log an epoch lacks is null)."""
        if self._losses:
            first = self.step - len(self._losses) + 1
            self.log.publish("steps", {"first": first, "loss": self._losses}, wake=False)
            self._losses = []
        if self._epochs:
            epochs, steps, logs = zip(*self._epochs)
            names = dict.fromkeys(name for entry in logs for name in entry)
            self.log.publish("epochs", {"epoch": epochs, "step": steps, "logs": {
                name: [entry.get(name) for entry in logs] for name in names}}, wake=False)
            self._epochs = []
        # One wake-up a flush for everything since the last: each costs the training the GIL
        # for a moment (the readers' threads).
        self.log.wake()
        self._flushed = time.perf_counter()

    # --- the end ------------------------------------------------------------------------------

    def finish(self) -> None:
        """Training is over: publish what is left, write the report, redraw the inline view,
        and stop the server unless ``stay``. Idempotent."""
        if self._finished:
            return
        self._finished = self._sampling_stopped = True
        self._recorder.stop()
        self._recorder.clear()
        self._flush()
        # The snapshot still waiting is drawn (with every module for a file or a notebook,
        # which cannot ask for them later).
        self._graphs.close(complete=self.report is not None or self._notebook is not None)
        self.log.publish("end", {"step": self.step, "overhead": self.overhead})
        if self.report is not None:
            self.write_report(self.report)
        if self._notebook is not None:
            self._draw_inline()
        if not self.stay:
            self.close()

    def close(self) -> None:
        """Finish, and stop the server (open pages show "finished"). Idempotent."""
        self.finish()
        if self.server is not None:
            self.server.close()

    def __enter__(self) -> LiveView:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # --- the page -----------------------------------------------------------------------------

    def page(self, embedded: bool = False, redrawn: bool = False) -> str:
        """The page's HTML; ``embedded``: with every event so far inside it (a static report
        that needs no server); ``redrawn``: it says that it is replaced as training goes on (a
        notebook's inline view) instead of calling itself a snapshot."""
        html = PAGE.read_text(encoding="utf-8")
        if not embedded:
            return html
        events = ",".join(f'["{kind}",{text}]' for kind, text in self.log.events())
        # "<" only ever occurs inside JSON strings, where \u003c means the same: no "</script>".
        html = html.replace("/*EVENTS*/null", "[" + events.replace("<", "\\u003c") + "]", 1)
        return html.replace("/*REDRAWN*/false", "true", 1) if redrawn else html

    def _module_drawing(self, step: int, key: str) -> dict | None:
        return self._graphs.module_drawing(step, key)

    def write_report(self, path: str | os.PathLike) -> Path:
        """Write the page with everything recorded so far as one self-contained HTML file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.page(embedded=True), encoding="utf-8")
        return path

    def _draw_inline(self) -> None:
        """Redraw the notebook's view; the next redraw waits at least NOTEBOOK_SECONDS, and
        until redrawing, which grows with the history, takes at most a quarter of the budget."""
        start = time.perf_counter()
        self._flush()
        self._notebook(_iframe(self.page(embedded=True, redrawn=not self._finished)))
        end = time.perf_counter()
        self._inline_cost += end - start
        self._next_inline = max(end + NOTEBOOK_SECONDS, self._started + (
            self._inline_cost + end - start) / (self.budget / 4))


def _iframe(html: str) -> str:
    """``html`` in an iframe of its own, so that its ids and scripts cannot meet the
    notebook's (or another view's)."""
    quoted = html.replace("&", "&amp;").replace('"', "&quot;")
    return (f'<iframe srcdoc="{quoted}" style="width: 100%; height: 1100px; border: 0" '
            f'title="nn.live"></iframe>')


def notebook_display() -> Callable[[str], None] | None:
    """Inside a Jupyter kernel: a function that shows HTML in one output cell and replaces it
    on later calls (IPython's ``display(..., display_id=True)``); elsewhere None.

    The HTML goes as a raw MIME bundle: IPython's ``HTML`` object warns about any iframe.
    """
    if "ipykernel" not in sys.modules:
        return None
    try:
        from IPython.display import display
    except ImportError:
        return None
    handle = None

    def show(html: str) -> None:
        nonlocal handle
        if handle is None:
            handle = display({"text/html": html}, raw=True, display_id=True)
        else:
            handle.update({"text/html": html}, raw=True)

    return show


class _Graphs:
    """The graph drawings of a view: a snapshot waits until its time (``submit``; a newer one
    replaces it), then the training thread draws it with Graphviz's ``dot`` and publishes it
    (``draw_if_due``), timed: ``cost`` is the wall time spent drawing during training.

    Drawing happens between steps, not in a thread of its own: Python in a second thread
    competes with training for the GIL (every NumPy call that releases it hands the GIL over
    for a switch interval, 5 ms), which cost training 10 % for a drawing of 40 ms in tests.
    ``deferred``: draw nothing until ``close`` (then the last snapshot submitted).
    """

    def __init__(self, log: EventLog, every_module: bool, deferred: bool = False) -> None:
        self.log, self.every_module, self.deferred = log, every_module, deferred
        self.cost = 0.0
        self._last_cost: float | None = None  # what drawing the last snapshot cost
        self.latest: graph.GraphSnapshot | None = None  # the last one published
        self._recent: dict[int, graph.GraphSnapshot] = {}  # step -> one of the last few
        self._latest_complete = False  # with a drawing per module
        self._waiting: graph.GraphSnapshot | None = None
        self._due = math.inf
        self._failed = False  # a drawing raised: no more graphs (the rest of the view goes on)
        self._drawing = threading.Lock()  # the server's threads draw too (a click on a box)

    @property
    def waiting(self) -> bool:
        """A snapshot waits to be drawn (a new one would replace it)."""
        return self._waiting is not None

    def expected_cost(self, snapshot: graph.GraphSnapshot) -> float:
        """What drawing ``snapshot`` will cost: the last snapshot's cost once one is drawn,
        until then a guess from the number of drawings."""
        if self._last_cost is not None:
            return self._last_cost
        return FIRST_DOT_SECONDS + FIRST_DRAWING_SECONDS * graph.drawing_count(
            snapshot, self.every_module)

    def submit(self, snapshot: graph.GraphSnapshot, due: float) -> None:
        """Draw ``snapshot`` at the first ``draw_if_due`` at ``time.perf_counter()`` time
        ``due`` or later (deferred: at ``close``); nothing once a drawing has failed."""
        if not self._failed:
            self._waiting, self._due = snapshot, math.inf if self.deferred else due

    def draw_if_due(self, now: float) -> float:
        """Draw and publish the waiting snapshot if its time has come; the seconds it took."""
        if now < self._due:
            return 0.0
        snapshot, self._waiting, self._due = self._waiting, None, math.inf
        started = time.perf_counter()
        self._publish_or_warn(snapshot, self.every_module)
        self._last_cost = time.perf_counter() - started
        self.cost += self._last_cost
        return self._last_cost

    def _publish_or_warn(self, snapshot: graph.GraphSnapshot, every_module: bool) -> None:
        """Draw and publish ``snapshot``; if that raises, warn and draw no more graphs: a
        drawing must never be what stops a training run."""
        try:
            self._publish(snapshot, every_module)
        except Exception as error:
            self._failed, self._waiting, self._due = True, None, math.inf
            warnings.warn(f"LiveView: drawing the graph of step {snapshot.step} failed "
                          f"({type(error).__name__}: {error}); the view goes on without "
                          f"graphs", RuntimeWarning, stacklevel=4)

    def _publish(self, snapshot: graph.GraphSnapshot, every_module: bool) -> None:
        with self._drawing:
            payload = graph.to_payload(snapshot, every_module)
            self.latest, self._latest_complete = snapshot, every_module
            self._recent[snapshot.step] = snapshot
            while len(self._recent) > RECENT_GRAPHS:
                del self._recent[min(self._recent)]
        self.log.publish("graph", payload, replace=True, wake=False)  # the next flush wakes

    def module_drawing(self, step: int, key: str) -> dict | None:
        """The graph of ``step`` (one of the last few drawn, else None) with module ``key``
        unfolded: what a click on a box of the served page asks for (in the server's thread;
        its CPU time, ``dot``'s included, counts in ``cost``)."""
        with self._drawing:
            snapshot = self._recent.get(step)
            if snapshot is None:
                return None
            started, children = time.thread_time(), _children_cpu()
            try:
                return graph.module_drawing(snapshot, key)
            finally:
                self.cost += time.thread_time() - started + _children_cpu() - children

    def close(self, complete: bool = False) -> None:
        """Draw what is waiting now; with ``complete``, or when nothing was drawn before
        (deferred), with a drawing per module (a report, a notebook). What this costs comes
        after training and is not counted."""
        whole = complete or self.deferred
        if self._waiting is not None:
            snapshot, self._waiting, self._due = self._waiting, None, math.inf
            self._publish_or_warn(snapshot, whole or self.every_module)
        elif whole and self.latest is not None and not self._latest_complete and (
                not self._failed):
            self._publish_or_warn(self.latest, True)


def _children_cpu() -> float:
    """CPU seconds of this process's finished child processes (the ``dot`` runs)."""
    times = os.times()
    return times.children_user + times.children_system
