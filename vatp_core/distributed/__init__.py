"""Scaling out past one machine: PyTorch DDP under torchrun for training, Ray actors for batch scoring/extraction.

Neither engine is imported here: `ddp` needs only torch, the Ray modules need the optional ``ray`` package
(``pip install -e ".[distributed]"``).
"""
