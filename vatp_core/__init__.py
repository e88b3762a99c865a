"""VATP Studio core: video, features, VATP-Net, scoring and training, with no Qt dependency."""

__version__ = "0.1.0"
