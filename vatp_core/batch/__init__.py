"""Score a whole folder of routine videos: resumable, crash-safe CSV + JSON, error rows, decode-ahead.

A judge drops a competition folder in and gets one row per video. Results are rewritten atomically
(temp file + fsync + ``os.replace``) after every video, so a batch killed at any instant leaves files that
parse, and the next run skips every video already scored with the same model pack (keyed by the video's
content hash and the pack identity). A video that cannot be scored gets an error row and the batch goes on.
While the model scores video *n*, a prefetch thread hashes (and, when the scorer can split its work,
decodes and extracts features of) video *n + 1*.

The modules: `discovery` (videos, hashes, pack identity), `labels` (the true-scores file), `store` (the
resumable atomic CSV + JSON), `prefetch` and `runner` (the loop), `recording` (a row from a result,
reports), `summary` (what a finished batch reports). The row itself is part of the result schema:
`vatp_core.result_rows`.
"""

from ..result_rows import BATCH_FORMAT_VERSION, BatchRow
from .discovery import content_hash, find_videos, pack_identity
from .labels import Label, match_label, read_labels
from .recording import segments_text
from .runner import Progress, run_batch, run_scorer_batch, score_folder, scorer_pack_info
from .store import RESULTS_SUFFIX, BatchStore, load_batch_results
from .summary import BatchSummary, label_metrics, spearman_text, summary_pdf_path

__all__ = [
    "BATCH_FORMAT_VERSION",
    "RESULTS_SUFFIX",
    "BatchRow",
    "BatchStore",
    "BatchSummary",
    "Label",
    "Progress",
    "content_hash",
    "find_videos",
    "label_metrics",
    "load_batch_results",
    "match_label",
    "pack_identity",
    "read_labels",
    "run_batch",
    "run_scorer_batch",
    "score_folder",
    "scorer_pack_info",
    "segments_text",
    "spearman_text",
    "summary_pdf_path",
]
