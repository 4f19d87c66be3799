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
import copy
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
def use_generator(generator: Any) -> Iterator[np.random.Generator]:
    """Make ``generator`` this thread's default generator inside the block (yields it).

    ``generator`` is an ``ag.Generator``, a ``np.random.Generator`` or an integer seed for a
    new one. Other threads keep theirs; blocks nest, and the previous default returns when the
    block ends, even on an error. Raises TypeError for anything else.
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
    """``generator`` itself when it is a ``np.random.Generator``, the NumPy generator inside an
    ``ag.Generator``, ``default_generator()`` when it is None; TypeError naming ``where``
    otherwise (e.g. a legacy ``np.random.RandomState`` or a seed given where a generator is
    expected)."""
    if isinstance(generator, Generator):
        generator = generator.numpy_generator
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"{where}: generator must be an ag.Generator, a np.random.Generator "
                        f"(e.g. ag.manual_seed(0) or np.random.default_rng(0)) or None, got "
                        f"{type(generator).__name__}")
    if STATE.tracer is not None:  # inside ag.compile: draws become steps of the program
        return STATE.tracer.generator(generator)
    return default_generator() if generator is None else generator


# --- PyTorch spellings (issue 13) ---


class Generator:
    """PyTorch's ``torch.Generator``: a seedable source of random numbers to pass as
    ``generator=`` to any random function (``rand``, ``randint``, ``multinomial``, ``nn.init``,
    dropout, ``DataLoader``).

    ``ag.Generator().manual_seed(42)`` returns the generator, as in PyTorch. It wraps a NumPy
    Generator (``numpy_generator``), so the numbers differ from PyTorch's for the same seed.
    A new one is seeded with PyTorch's default seed, 67280421310721. ``device`` must be
    ``"cpu"`` (RuntimeError otherwise).
    """

    DEFAULT_SEED = 67280421310721

    def __init__(self, device: str = "cpu") -> None:
        if str(device) != "cpu":
            raise RuntimeError(f"Generator: autograd_lite runs on the CPU only, got "
                               f"device={device!r}")
        self.device = "cpu"
        self.manual_seed(self.DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        """Reseed with the integer ``seed`` (a negative one is taken modulo 2**64, as
        PyTorch); return self. TypeError for a non-integer."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"Generator.manual_seed: seed must be an int, got {seed!r}")
        self._initial_seed = int(seed) % 2**64
        self.numpy_generator = np.random.default_rng(self._initial_seed)
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; return the new seed."""
        return self.manual_seed(int(np.random.SeedSequence().entropy % 2**64)).initial_seed()

    def initial_seed(self) -> int:
        """The seed of the last ``manual_seed`` or ``seed``."""
        return self._initial_seed

    def get_state(self) -> dict:
        """A copy of the state (NumPy's bit-generator state, a dict; PyTorch gives a byte
        tensor), to restore later with ``set_state``."""
        return copy.deepcopy(self.numpy_generator.bit_generator.state)

    def set_state(self, state: dict) -> Generator:
        """Restore a state from ``get_state``; return self. ValueError for anything else."""
        try:
            self.numpy_generator.bit_generator.state = copy.deepcopy(state)
        except (TypeError, ValueError, KeyError) as error:
            raise ValueError(f"Generator.set_state: expected a state from get_state(), "
                             f"got {type(state).__name__} ({error})") from None
        return self

    def __repr__(self) -> str:
        return f"ag.Generator(initial_seed={self._initial_seed})"


__all__ = ["manual_seed", "default_generator", "use_generator", "resolve_generator", "Generator"]
