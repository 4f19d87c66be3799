"""Benchmarks: autograd_lite against hand-written NumPy backprop (and PyTorch when installed).

Run ``make bench`` (or ``python benchmarks/run.py --quick`` for a short run); see ``run.py``.
"""
