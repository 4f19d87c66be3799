"""nn.live: a live view of training in the browser (loss curves, per-layer activation and
gradient statistics, update:data ratios, the graph coloured by gradient norm).

``nn.fit(..., live=True)`` or, in a loop of your own, ``view = nn.LiveView()`` and
``view.update(model, loss)`` after each step; ``report="train.html"`` writes the same page as
one file. Four parts: ``collector`` (the statistics of a sampled step), ``graph`` (the drawings,
made by ``autograd_lite.viz``), ``server`` (standard-library HTTP with server-sent events) and
``view`` (``LiveView``, which samples, publishes and writes the report); the page itself is
``page.html`` beside them.
"""

from .view import LiveView

__all__ = ["LiveView"]
