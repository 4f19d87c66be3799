"""What every example shares: the command line (--quick, --out, --seed) and saving figures.

Figures are drawn with matplotlib's Agg backend, so the examples run without a display.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported: draw to files, never to a window

import matplotlib.pyplot as plt  # noqa: E402 - must follow the backend choice

DEFAULT_OUT = Path(__file__).resolve().parent / "out"


def parse_args(description: str, argv: Sequence[str] | None, default_seed: int = 0,
               add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
               ) -> argparse.Namespace:
    """Parse the options every example has, plus any that ``add_arguments`` declares.

    ``--quick`` asks for small sizes (used by the tests), ``--out DIR`` says where figures go
    (created if missing), ``--seed`` makes the run reproducible.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes: a fast smoke run (the tests use it)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder for figures and files (default: {DEFAULT_OUT})")
    parser.add_argument("--seed", type=int, default=default_seed, help="random seed")
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def save_figure(figure: plt.Figure, path: Path) -> Path:
    """Write ``figure`` to ``path`` (PNG), close it, print and return the path."""
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"wrote {path}")
    return path
