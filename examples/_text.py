"""What the character-level language models share: a text every machine has, its characters as
integers, random training windows, the unigram baseline, the training loop, sampling and the
loss curve.

The text is the documentation of part of the Python standard library (``inspect.getdoc`` of
some modules, their public classes, functions and methods): about 370,000 characters of
English prose and code samples, with no download. Its exact content follows the Python
version, so the numbers printed differ a little from one version to the next.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import string
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from _common import plt, save_figure

import autograd_lite as ag
import nn
import nn.functional as F

MODULES = ("argparse", "collections", "contextlib", "csv", "dataclasses", "datetime",
           "difflib", "fractions", "functools", "heapq", "inspect", "json", "logging",
           "pathlib", "pprint", "random", "re", "shutil", "statistics", "string", "textwrap",
           "threading", "typing", "unittest", "zipfile", "calendar", "codecs", "email.message",
           "http.client", "urllib.parse", "subprocess", "tarfile", "tempfile", "abc", "enum",
           "decimal", "asyncio")
KEPT = set(string.printable) - set("\t\r\x0b\x0c")  # letters, digits, punctuation, space, \n


def _docstrings(module_name: str) -> list[str]:
    """The docstrings of a module, its public classes and functions, and their methods."""
    module = importlib.import_module(module_name)
    objects = [module] + [getattr(module, name) for name in sorted(dir(module))
                          if not name.startswith("_")]
    found = []
    for obj in objects:
        if not (inspect.ismodule(obj) or inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        found.append(inspect.getdoc(obj))
        if inspect.isclass(obj) and obj.__module__.startswith(module_name):
            found += [inspect.getdoc(f) for name, f in sorted(vars(obj).items())
                      if not name.startswith("_") and inspect.isfunction(f)]
    return [doc for doc in found if doc]


def standard_library_text() -> str:
    """The docstrings of ``MODULES`` joined by blank lines, each once, in a fixed order,
    restricted to printable ASCII and newlines."""
    with warnings.catch_warnings():  # touching deprecated aliases (typing.io) warns
        warnings.simplefilter("ignore", DeprecationWarning)
        docs = dict.fromkeys(doc for name in MODULES for doc in _docstrings(name))
    return "".join(c for c in "\n\n".join(docs) if c in KEPT)


class Characters:
    """The alphabet of a text: ``encode`` turns a string into int64 ids, ``decode`` back."""

    def __init__(self, text: str) -> None:
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        return np.array([self.index[c] for c in text], dtype=np.int64)

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self.chars[i] for i in ids)


def add_training_options(parser: argparse.ArgumentParser) -> None:
    """``--steps N``: override the number of training steps."""
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps (default: the example's, fewer with --quick)")


def split_ids(ids: np.ndarray, val_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """The first 90 % for training, the rest for validation (nanoGPT's split)."""
    cut = int(len(ids) * (1 - val_fraction))
    return ids[:cut], ids[cut:]


def random_windows(ids: np.ndarray, batch_size: int, length: int, rng: np.random.Generator
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``batch_size`` random windows of ``length`` characters and the same shifted by one: the
    inputs x and the targets y, both (batch_size, length)."""
    starts = rng.integers(0, len(ids) - length - 1, batch_size)
    offsets = starts[:, None] + np.arange(length)
    return ids[offsets], ids[offsets + 1]


def unigram_baseline(train: np.ndarray, val: np.ndarray, vocabulary: int) -> float:
    """Cross-entropy (nats per character) on ``val`` of the best model that ignores context:
    the training set's character frequencies (add-one smoothed)."""
    counts = np.bincount(train, minlength=vocabulary) + 1.0
    return float(-np.log(counts / counts.sum())[val].mean())


def plot_losses(steps: Sequence[int], train: Sequence[float], val: Sequence[float],
                baseline: float, title: str, path: Path) -> Path:
    """Training and validation loss against the step, with the unigram baseline."""
    figure, ax = plt.subplots(figsize=(6, 4))
    ax.plot(steps, train, label="train (running mean)")
    ax.plot(steps, val, label="validation", marker="o", markersize=3)
    ax.axhline(baseline, color="grey", linestyle="--", label=f"unigram baseline {baseline:.2f}")
    ax.set(title=title, xlabel="step", ylabel="cross-entropy, nats per character")
    ax.legend()
    return save_figure(figure, path)


def sample_next(logits: ag.Tensor, temperature: float, rng: np.random.Generator) -> int:
    """Draw a character id from softmax(logits / temperature), logits of shape (vocabulary,)."""
    scaled = logits.numpy().astype(np.float64) / temperature
    probs = np.exp(scaled - scaled.max())
    return int(rng.choice(len(probs), p=probs / probs.sum()))


def train(model: nn.Module, train_ids: np.ndarray, val_ids: np.ndarray, config: dict,
          rng: np.random.Generator) -> dict:
    """Train ``model`` (ids (B, T) -> logits (B, T, vocabulary)) on random windows with AdamW
    (weight decay on the matrices only) and a cosine schedule, clipping the gradient norm at 1.

    ``config`` gives batch_size, block_size, steps, lr and eval_every; every ``eval_every``
    steps the running training loss and the validation loss are printed and recorded. Returns
    the curves and the training time in seconds."""
    matrices = [p for p in model.parameters() if p.ndim >= 2]
    others = [p for p in model.parameters() if p.ndim < 2]
    optimizer = nn.optim.AdamW([{"params": matrices, "weight_decay": 0.1},
                                {"params": others, "weight_decay": 0.0}],
                               lr=config["lr"], betas=(0.9, 0.99))
    schedule = nn.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config["steps"],
                                                 eta_min=config["lr"] / 10)
    history = {"steps": [], "train": [], "val": []}
    recent: list[float] = []
    start = time.perf_counter()
    for step in range(1, config["steps"] + 1):
        x, y = random_windows(train_ids, config["batch_size"], config["block_size"], rng)
        loss = language_model_loss(model, x, y)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        recent.append(loss.item())
        if step % config["eval_every"] == 0 or step == config["steps"]:
            val = evaluate(model, val_ids, config, np.random.default_rng(0))
            history["steps"].append(step)
            history["train"].append(float(np.mean(recent)))
            history["val"].append(val)
            print(f"step {step:5d}: train {history['train'][-1]:.3f}, validation {val:.3f}, "
                  f"lr {schedule.get_last_lr()[0]:.2e}, {time.perf_counter() - start:.1f} s")
            recent = []
    history["seconds"] = time.perf_counter() - start
    return history


def language_model_loss(model: nn.Module, x: np.ndarray, y: np.ndarray) -> ag.Tensor:
    """Mean cross-entropy of predicting y[:, t] from x[:, :t + 1], over every position."""
    logits = model(x)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def evaluate(model: nn.Module, ids: np.ndarray, config: dict, rng: np.random.Generator,
             batches: int = 8) -> float:
    """Mean loss over ``batches`` random validation windows, in eval mode, without a graph."""
    model.eval()
    with ag.no_grad():
        losses = [language_model_loss(model, *random_windows(
            ids, config["batch_size"], config["block_size"], rng)).item()
            for _ in range(batches)]
    model.train()
    return float(np.mean(losses))


def training_config(args: argparse.Namespace, full: dict, quick: dict) -> dict:
    """The sizes to use: ``quick`` with --quick, else ``full``; --steps overrides the steps
    (with three evaluations)."""
    config = dict(quick if args.quick else full)
    if args.steps is not None:
        config.update(steps=args.steps, eval_every=max(1, -(-args.steps // 3)))
    return config


def load_text() -> tuple[Characters, np.ndarray, np.ndarray, float]:
    """The alphabet, the training and validation ids and the unigram baseline; printed."""
    text = standard_library_text()
    chars = Characters(text)
    train_ids, val_ids = split_ids(chars.encode(text))
    baseline = unigram_baseline(train_ids, val_ids, len(chars))
    print(f"text: {len(text):,} characters of standard-library docstrings, {len(chars)} "
          f"distinct; unigram baseline {baseline:.3f} nats per character")
    return chars, train_ids, val_ids, baseline
