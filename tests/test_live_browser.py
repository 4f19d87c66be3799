"""The live page in a real browser: headless Chromium driven by Selenium while ``fit`` trains.

``make test`` installs Chromium, its driver and Selenium and sets LIVE_BROWSER_REQUIRED=1, so
that a missing browser fails the test there; elsewhere the test is skipped without them.
Every wait is an explicit wait with a timeout on something the page shows.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

import autograd_lite as ag
import nn

SCREENSHOT = Path(__file__).resolve().parent.parent / "examples" / "out" / "live_view.png"
TIMEOUT = 30


def _browser_or_reason():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return "selenium is not installed (pip install -e '.[dev]')"
    driver_path, browser_path = shutil.which("chromedriver"), (
        shutil.which("chromium") or shutil.which("chromium-browser"))
    if not driver_path or not browser_path:
        return "Chromium and its driver are missing (apt-get install chromium chromium-driver)"
    options = webdriver.ChromeOptions()
    options.binary_location = browser_path
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1300,2100"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path=driver_path), options=options)


@pytest.fixture
def browser():
    driver = _browser_or_reason()
    if isinstance(driver, str):
        # `make test` (and so CI) sets LIVE_BROWSER_REQUIRED after installing Chromium, so
        # there a missing browser fails; a bare `pytest` on a machine without one skips,
        # saying what to install.
        reason = f"the live view's browser tests need Chromium and Selenium: {driver}"
        if os.environ.get("LIVE_BROWSER_REQUIRED"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield driver
    finally:
        driver.quit()


class _StopWhenAsked(nn.Callback):
    """Ends ``fit`` once the test is done with the page (the epochs are otherwise unbounded)."""

    def __init__(self) -> None:
        self.stop = threading.Event()

    def on_epoch_end(self, epoch, logs):
        return self.stop.wait(0.01)  # also paces the tiny epochs, so the page can keep up


@pytest.fixture
def training():
    """A view and a ``fit`` running in a thread on the XOR net, stopped at the end."""
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).to(np.float64)
    view = nn.LiveView(quiet=True, budget=0.5, graph_seconds=0.3, title="XOR")
    stopper = _StopWhenAsked()
    thread = threading.Thread(target=nn.fit, kwargs=dict(
        model=model, loss_fn=nn.MSELoss(), optimizer=nn.optim.SGD(model.parameters(), lr=0.2),
        train_data=(x, y), epochs=10**6, batch_size=4, progress=False, callbacks=[stopper],
        live=view))
    thread.start()
    try:
        yield view
    finally:
        stopper.stop.set()
        thread.join(TIMEOUT)
        view.close()
    assert not thread.is_alive()


def _wait(driver, condition, message):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        return WebDriverWait(driver, TIMEOUT, poll_frequency=0.05).until(
            lambda d: d.execute_script(condition))
    except TimeoutException:
        state = driver.execute_script(
            "return {variant: S.variant, shown: document.getElementById('graph').dataset.variant,"
            " step: S.graph && S.graph.step, points: S.steps.length, status: "
            "document.getElementById('status').textContent}")
        raise AssertionError(f"{message}; the page: {state}; its log: "
                             f"{driver.get_log('browser')}") from None


def _points(driver) -> int:
    return int(driver.execute_script("return document.getElementById('loss-chart').dataset.points"))


def test_the_page_follows_training_unfolds_modules_and_steps_through_backward(browser,
                                                                              training):
    browser.get(training.url)
    _wait(browser, "return +document.getElementById('loss-chart').dataset.points > 0",
          "the loss curve never got a point")
    first = _points(browser)
    _wait(browser, f"return +document.getElementById('loss-chart').dataset.points > {first}",
          "the loss curve gained no points as steps passed")
    _wait(browser, "return document.querySelectorAll('#epoch-chart polyline.series').length === 1",
          "the epoch curve (train loss) never appeared")
    _wait(browser, "return document.querySelectorAll('#layers tbody tr').length === 3 && "
                   "document.querySelector('#ratio-chart polyline.series') !== null",
          "the layer statistics and update:data ratios never appeared")
    _wait(browser, "return document.querySelectorAll('#graph g.node.unfoldable').length === 3",
          "the graph folded by module never appeared")
    assert browser.find_element("id", "status").text == "live"

    # hover: the node's shape, value and gradient summaries
    tip = browser.execute_script(
        "const g = document.querySelector('#graph g.node.unfoldable');"
        "g.dispatchEvent(new MouseEvent('mousemove', {clientX: 10, clientY: 10}));"
        "return document.getElementById('tooltip').textContent;")
    assert tip.startswith("module 0: Linear") and "parameters 9" in tip
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    browser.execute_script("document.getElementById('tooltip').style.display = 'none'")
    browser.save_screenshot(str(SCREENSHOT))

    # click the Tanh box: it unfolds into its op
    browser.execute_script(
        "[...document.querySelectorAll('#graph g.node.unfoldable')]"
        ".find((g) => g.textContent.includes('1: Tanh')).dispatchEvent(new MouseEvent('click'))")
    _wait(browser, "const g = document.getElementById('graph'); return g.dataset.variant === '1'"
                   " && [...g.querySelectorAll('g.node')]"
                   ".some((n) => n.textContent.trim() === 'tanh')",
          "clicking the Tanh module did not unfold it")

    # step through backward: one node at a time, in decreasing creation order from the loss
    browser.execute_script("document.getElementById('bw-start').click()")
    _wait(browser, "return document.querySelectorAll('#graph g.node.bw-current').length === 1",
          "the step-through highlighted no node")
    visited = []
    for _ in range(6):
        current = browser.execute_script(
            "const c = document.querySelectorAll('#graph g.node.bw-current');"
            "return c.length === 1 ? c[0].dataset.id : null;")
        assert current is not None and current == browser.execute_script(
            "return document.getElementById('graph').dataset.current")
        visited.append(current)
        browser.execute_script("document.getElementById('bw-next').click()")
    first_text = browser.execute_script(
        f"return document.querySelector('#graph g.node[data-id=\"{visited[0]}\"]').textContent")
    assert "output" in first_text
    numbers = [int(node_id[1:]) for node_id in visited]
    assert numbers == sorted(numbers, reverse=True) and len(set(numbers)) == 6
    assert "grad" in browser.find_element("id", "bw-info").text


def test_the_page_without_the_token_is_forbidden(browser, training):
    browser.get(training.url.split("?")[0])
    assert "403" in browser.find_element("tag name", "body").text


def test_a_report_shows_nonfinite_values_in_red_naming_the_layer(browser, tmp_path):
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).to(np.float64)
    model[0].weight.data[0, 0] = np.nan
    view = nn.LiveView(serve=False, budget=0.9)
    for _ in range(3):
        loss = nn.functional.mse_loss(model(ag.tensor(x)), ag.tensor(np.zeros((4, 1))))
        loss.backward()
        view.update(model, loss)
    view.finish()
    path = view.write_report(tmp_path / "nan.html")
    browser.get(path.as_uri())
    _wait(browser, "return document.querySelectorAll('#alerts div').length >= 3",
          "the NaN alerts never appeared")
    alerts = browser.find_element("id", "alerts").text
    assert "NaN/Inf in the activations of layer 0: Linear" in alerts
    assert "NaN/Inf in parameter 0.weight" in alerts and "loss is NaN at step 1" in alerts
    colour = browser.execute_script(
        "return getComputedStyle(document.querySelector('#alerts div')).backgroundColor")
    assert colour == "rgb(214, 39, 40)"
    row = browser.find_element("css selector", '#layers tr[data-layer="0: Linear"]')
    assert "bad" in row.get_attribute("class") and "NaN/Inf" in row.text


def test_a_notebook_redraw_says_training_goes_on_and_a_mid_run_report_is_a_snapshot(browser,
                                                                                    tmp_path):
    view = nn.LiveView(serve=False)
    view.update(nn.Linear(2, 1), 1.0)
    view._flush()
    for redrawn, status in ((True, "training (redrawn every few seconds)"), (False, "snapshot")):
        path = tmp_path / f"page_{redrawn}.html"
        path.write_text(view.page(embedded=True, redrawn=redrawn), encoding="utf-8")
        browser.get(path.as_uri())
        _wait(browser, "return +document.getElementById('loss-chart').dataset.points === 1",
              "the embedded loss point was not drawn")
        assert browser.find_element("id", "status").text == status
    view.close()
