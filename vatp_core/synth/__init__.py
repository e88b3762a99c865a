"""SynthAQA: rendered dive routines with exact ground truth (score, phrases, per-frame sub-action labels).

Used to train the bundled demo pack and to measure whether temporal parsing finds the real sub-actions.
"""

from .generator import (
    DEFAULT_SIZE,
    LABELS_FILE,
    SynthConfig,
    SynthItem,
    encode_video,
    generate_dataset,
    routine_spec,
    write_routine,
)
from .render import Renderer, render_routine
from .routine import (
    IDLE_LABEL,
    QUALITY_WEIGHTS,
    SCORE_RANGE,
    SUBACTION_NAMES,
    RoutineSpec,
    routine_phrases,
    sample_routine,
    score_from_quality,
)

__all__ = [
    "DEFAULT_SIZE",
    "IDLE_LABEL",
    "LABELS_FILE",
    "QUALITY_WEIGHTS",
    "SCORE_RANGE",
    "SUBACTION_NAMES",
    "Renderer",
    "RoutineSpec",
    "SynthConfig",
    "SynthItem",
    "encode_video",
    "generate_dataset",
    "render_routine",
    "routine_phrases",
    "routine_spec",
    "sample_routine",
    "score_from_quality",
    "write_routine",
]
