"""Every example runs with --quick into a temporary folder and gets the tutorial's results.

The examples are scripts in ``examples/``; each has ``main(argv) -> dict``, called here
in-process. Expected numbers are written out (the tutorial's) or checked by property.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import numpy as np
import pytest

import nn

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def run(tmp_path, monkeypatch, capsys):
    """``run("moons", "--sweep")`` -> (results, printed text) of ``moons.py --quick``."""
    monkeypatch.syspath_prepend(str(EXAMPLES))

    def run_example(name: str, *extra: str) -> tuple[dict, str]:
        results = importlib.import_module(name).main(["--quick", "--out", str(tmp_path), *extra])
        return results, capsys.readouterr().out
    return run_example


def assert_png(path) -> None:
    assert Path(path).read_bytes()[:8] == PNG_SIGNATURE, f"{path} is not a PNG"


def test_xor_11_lines_prints_the_tutorials_numbers(run):
    results, printed = run("xor_11_lines")
    np.testing.assert_allclose(
        results["two_layer_output"],
        [[0.00966449], [0.00786506], [0.99358898], [0.99211957]], rtol=0, atol=1e-8)
    tutorial_errors = [0.496410031903, 0.00858452565325, 0.00578945986251, 0.00462917677677,
                       0.00395876528027, 0.00351012256786]
    np.testing.assert_allclose(results["xor_errors"], tutorial_errors, rtol=0, atol=1e-8)
    np.testing.assert_allclose(results["nn_xor_errors"], tutorial_errors[:2], rtol=0, atol=1e-8)
    assert printed.count("the same numbers as the tutorial") == 3
    assert "Error:0.496410031903" in printed
    assert_png(results["figure"])


def test_sine_online_offline_costs_fall_and_small_tasks_are_learned(run, tmp_path):
    results, printed = run("sine_online_offline")
    for run_name, cost in results["costs"].items():  # the thread's check: the cost falls
        assert cost[-1] < 0.9 * cost[0], run_name
    for run_name in ("sigmoid_offline", "tanh_offline", "sigmoid_online"):
        assert results[f"{run_name}_error"] < 0.6, run_name  # predicting 0 everywhere: 0.64
    np.testing.assert_array_equal(np.sign(results["xor_outputs"]["[2, 3, 1]"]), [-1, 1, 1, -1])
    assert abs(results["identity_output"] - np.tanh(-2.0)) < 0.1
    assert "offline" in printed and "online" in printed
    for figure in results["figures"]:
        assert_png(figure)


def test_moons_chosen_configuration_scores_like_the_tutorial(run, tmp_path):
    results, printed = run("moons")
    assert results["config"]["n_h"] == 3 and results["config"]["activation"] == "tanh"
    assert results["accuracy"] >= 90.0  # 3000 iterations with --quick; 93.4 % at full size
    saved = nn.load(results["parameters_file"])
    assert {name: t.shape for name, t in saved.items()} == {
        "W1": (3, 2), "b1": (3, 1), "W2": (1, 3), "b2": (1, 1)}
    assert "accuracy on a fresh set of 500 points" in printed
    for name in ("moons_data.png", "moons_boundary.png"):
        assert_png(tmp_path / name)


def test_moons_sweep_writes_one_csv_row_per_configuration(run, tmp_path):
    results, _ = run("moons", "--sweep")
    lines = Path(results["sweep_csv"]).read_text().strip().splitlines()
    assert lines[0] == "n_h,activation,learning_rate,iterations,time_s,train_accuracy,dev_accuracy"
    assert len(lines) == 1 + 2 * 2 * 2 * 2  # the quick grid: 2 n_h x 2 act. x 2 rates x 2 counts
    for name in ("moons_sweep_accuracy.png", "moons_sweep_time.png"):
        assert_png(tmp_path / name)


def test_moons_filter_keeps_accurate_unoverfitted_configurations_then_the_fastest(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    moons = importlib.import_module("moons")
    row = {"n_h": 3, "activation": "tanh", "learning_rate": 0.6, "iterations": 10000}
    rows = [dict(row, n_h=50, time_s=0.1, train_accuracy=99.0, dev_accuracy=96.0),  # gap 3 %
            dict(row, n_h=1, time_s=0.2, train_accuracy=94.0, dev_accuracy=94.0),  # too weak
            dict(row, n_h=4, time_s=9.0, train_accuracy=96.0, dev_accuracy=95.5),
            dict(row, n_h=3, time_s=1.0, train_accuracy=96.0, dev_accuracy=96.5)]
    assert moons.choose(rows) == row


def test_sine_regression_hand_loop_and_library_way_both_fit(run, tmp_path):
    results, printed = run("sine_regression")
    assert results["hand_100_error"] < 0.5
    assert results["library_error"] < 0.5
    assert "before" in printed and "after" in printed
    assert len(results["figures"]) == 3
    for figure in results["figures"]:
        assert_png(figure)


def test_wine_logic_gates_networks_and_zero_init_symmetry(run):
    results, printed = run("wine")
    np.testing.assert_allclose(results["logic"]["AND"], [0, 0, 0, 1], atol=1e-4)
    np.testing.assert_allclose(results["logic"]["OR"], [0, 1, 1, 1], atol=1e-4)
    np.testing.assert_allclose(results["logic"]["XNOR"], [1, 0, 0, 1], atol=1e-4)
    for name in ("2-3-1 without bias", "2-3-1 with bias", "2-3-3-1 with bias",
                 "logistic regression"):
        train_accuracy, test_accuracy = results[name]
        assert test_accuracy > 0.85, name
    hidden = results["zero_init_hidden_weights"]  # the three units are equal up to rounding
    np.testing.assert_allclose(hidden, np.broadcast_to(hidden[0], hidden.shape), rtol=1e-9)
    assert np.all(np.abs(hidden) > 0.1)
    assert "LogisticRegression" in printed
    assert_png(results["figure"])


def test_digits_softmax_gradient_is_the_lessons_formula_and_the_cnn_learns(run, tmp_path):
    results, _ = run("digits")
    assert results["softmax_gradient_error"] < 1e-6
    assert results["mlp"]["test_accuracy"] > 0.7  # chance is 0.1
    assert results["cnn"]["test_accuracy"] > 0.7
    assert results["confusion_matrix"].sum() == 200  # the quick test set
    assert_png(results["figure"])


def test_quickstart_trains_and_writes_three_pictures(run):
    results, printed = run("quickstart")
    assert results["accuracy"] >= 0.9
    assert set(results["pictures"]) == {"loss curve", "decision boundary", "computation graph"}
    for path in results["pictures"].values():
        assert_png(path)
        assert str(path) in printed


README = EXAMPLES.parent / "README.md"


def readme_python_blocks() -> list[str]:
    """The ```python blocks of the README, in order."""
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def promised_output(code: str) -> list[str]:
    """What a block says it prints: the comment on a print line, or on the line after it."""
    lines = code.splitlines()
    promised = []
    for line, following in zip(lines, lines[1:] + [""]):
        if line.startswith("print("):
            comment = line.partition("  # ")[2] or following.removeprefix("# ")
            promised.append(comment.strip())
    return promised


def test_readme_snippets_run_and_print_what_the_readme_says(tmp_path, monkeypatch, capsys):
    """The blocks run in order in one namespace, as a reader pastes them into one session."""
    monkeypatch.chdir(tmp_path)  # the snippets write neuron.png and moons.npz
    namespace, blocks = {}, readme_python_blocks()
    assert len(blocks) == 14
    for number, code in enumerate(blocks):
        exec(compile(code, f"README.md python block {number}", "exec"), namespace)
        assert capsys.readouterr().out.splitlines() == promised_output(code), number
    assert namespace["gx"].requires_grad  # "gx is itself differentiable"
    assert_png(tmp_path / "neuron.png")
    assert set(nn.load(tmp_path / "moons.npz")) == set(namespace["model"].state_dict())


def test_tiny_gpt_learns_below_the_unigram_baseline_and_draws_a_block(run):
    results, printed = run("tiny_gpt", "--steps", "100")
    history = results["history"]
    assert history["val"][-1] < results["baseline"] - 0.2  # context helps: 2.8 vs 3.2 nats
    assert history["train"][-1] < history["train"][0]
    model = results["model"]
    assert model.lm_head.weight is model.wte.weight  # tied by default
    assert results["sample"].startswith("Return the ") and len(results["sample"]) == 11 + 80
    assert "unigram baseline" in printed and "sample:" in printed
    for figure in results["figures"]:
        assert_png(figure)


def test_char_rnn_lstm_learns_below_the_unigram_baseline(run):
    results, printed = run("char_rnn", "--steps", "100")
    assert results["history"]["val"][-1] < results["baseline"] - 0.1
    keys = list(results["model"].state_dict())
    assert keys[:3] == ["embed.weight", "lstm.weight_ih_l0", "lstm.weight_hh_l0"]
    assert keys[-2:] == ["head.weight", "head.bias"]
    assert results["sample"].startswith("Return the ")
    assert "LSTM(32, 64, batch_first=True)" in printed
    assert_png(results["figure"])


def test_text_helpers_count_characters_and_the_unigram_baseline(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    text = importlib.import_module("_text")
    chars = text.Characters("abca")
    np.testing.assert_array_equal(chars.encode("cab"), [2, 0, 1])
    assert chars.decode([1, 2]) == "bc"
    train = np.array([0, 0, 0, 1])  # add-one counts 4 and 2 of 6
    assert text.unigram_baseline(train, np.array([0, 1]), 2) == pytest.approx(
        -(np.log(4 / 6) + np.log(2 / 6)) / 2)
    x, y = text.random_windows(np.arange(100), 3, 5, np.random.default_rng(0))
    np.testing.assert_array_equal(y, x + 1)
    assert x.shape == (3, 5)
    corpus = text.standard_library_text()
    assert len(corpus) > 100_000 and set(corpus) <= text.KEPT


# --- live view (issue 15) ---
def test_live_moons_serves_while_training_and_writes_the_report(run):
    results, printed = run("live_moons")
    history = results["history"]
    assert len(history) == 200 and history.train_loss[-1] < history.train_loss[0]
    assert results["url"].startswith("http://127.0.0.1:") and "?token=" in results["url"]
    assert results["url"] in printed
    html = results["report"].read_text()
    assert '["graph",' in html and '["stats",' in html and "<script src" not in html
