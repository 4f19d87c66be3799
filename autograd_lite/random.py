"""The random generators behind ``rand``, ``randn``, dropout, shuffling and ``nn.init``.

There is one process-wide NumPy Generator, seeded with 0 at import (as PyTorch's default
generator is seeded), and ``manual_seed`` reseeds it. A thread can put a generator of its own
in front of it for a block, so that code drawing from ``default_generator()`` (a Dropout deep
inside a model) uses it without any plumbing, and other threads are not disturbed:

    with ag.random.use_generator(np.random.default_rng(1)):   # or use_generator(1)
        model(x)              # Dropout draws from the generator seeded with 1

``nn.fit(seed=...)`` runs inside such a block. Functions that take ``generator=`` use that
generator instead of the default one.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from .grad_mode import STATE

# Seeded at import, as PyTorch's default generator is, so a script gives the same numbers on
# every run until it calls manual_seed.
_process_generator = np.random.default_rng(0)
_thread_override = threading.local()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the process-wide generator behind ``rand``, ``randn``, dropout and ``nn.init``.

    Returns the new generator. A thread inside ``use_generator`` keeps drawing from its own
    generator until the block ends.
    """
    global _process_generator
    _process_generator = np.random.default_rng(seed)
    return _process_generator


def default_generator() -> np.random.Generator:
    """The NumPy Generator that random draws use: this thread's ``use_generator`` one if a
    block is active, else the process-wide one that ``manual_seed`` reseeds."""
    return getattr(_thread_override, "generator", None) or _process_generator


@contextlib.contextmanager
def use_generator(generator: np.random.Generator | int) -> Iterator[np.random.Generator]:
    """Make ``generator`` this thread's default generator inside the block (yields it).

    ``generator`` is a ``np.random.Generator`` or an integer seed for a new one. Other threads
    keep theirs; blocks nest, and the previous default returns when the block ends, even on an
    error. Raises TypeError for anything else.
    """
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        generator = np.random.default_rng(int(generator))
    generator = resolve_generator(generator, "use_generator")
    previous = getattr(_thread_override, "generator", None)
    _thread_override.generator = generator
    try:
        yield generator
    finally:
        _thread_override.generator = previous


def resolve_generator(generator: Any, where: str) -> np.random.Generator:
    """``generator`` itself when it is a ``np.random.Generator``, ``default_generator()`` when
    it is None; TypeError naming ``where`` otherwise (e.g. a legacy ``np.random.RandomState``
    or a seed given where a generator is expected)."""
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"{where}: generator must be a np.random.Generator (e.g. "
                        f"ag.manual_seed(0) or np.random.default_rng(0)) or None, got "
                        f"{type(generator).__name__}")
    if STATE.tracer is not None:  # inside ag.compile: draws become steps of the program
        return STATE.tracer.generator(generator)
    return default_generator() if generator is None else generator


__all__ = ["manual_seed", "default_generator", "use_generator", "resolve_generator"]
