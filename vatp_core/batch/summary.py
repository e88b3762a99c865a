"""What a finished batch reports: the summary, the metrics against labels, where the summary PDF goes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..result_rows import BatchRow


@dataclass
class BatchSummary:
    """What a finished (or cancelled) batch did, with label metrics when labels were given."""

    rows: list[BatchRow]
    n_videos: int
    n_scored: int
    n_skipped: int
    n_failed: int
    cancelled: bool
    seconds: float
    out_csv: Path
    out_json: Path
    metrics: dict | None = None
    folder: Path = Path(".")
    summary_pdf: Path | None = None  # set by callers that also render the summary report
    library_added: int = 0  # attempts entered into the athlete library
    library_error: str = ""  # why the athlete library could not be written, when it could not

    @property
    def videos_per_minute(self) -> float:
        return 60.0 * self.n_scored / self.seconds if self.seconds > 0 else 0.0


def label_metrics(rows: list[BatchRow], score_range: tuple[float, float] | None = None) -> dict | None:
    """Spearman, R-ℓ2, MSE, the scatter and the CS curve over the scored rows that have labels."""
    from ..metrics import cumulative_score_curve, mae, mse, relative_l2, spearman

    pairs = [
        (r.mean, r.true_score, r.file)
        for r in rows
        if r.status == "ok" and r.mean is not None and r.true_score is not None
    ]
    if not pairs:
        return None
    pred = [p for p, _, _ in pairs]
    true = [t for _, t, _ in pairs]
    if score_range is None or not (score_range[1] > score_range[0]):
        lo, hi = min(true), max(true)
        score_range = (lo, hi) if hi > lo else (lo - 1.0, lo + 1.0)
    alphas, shares = cumulative_score_curve(pred, true)
    return {
        "n": len(pairs),
        # undefined for one video or constant scores: None (shown as "n/a"), not a misleading 0.000
        "spearman": spearman(pred, true) if len(set(pred)) > 1 and len(set(true)) > 1 else None,
        "rl2": relative_l2(pred, true, score_range),
        "mse": mse(pred, true),
        "mae": mae(pred, true),
        "score_range": list(score_range),
        "scatter": {"file": [f for _, _, f in pairs], "pred": pred, "true": true},
        "cs_curve": {"alpha": [float(a) for a in alphas], "share": [float(s) for s in shares]},
    }


def spearman_text(metrics: dict, digits: int = 3) -> str:
    """Spearman's ρ for display; "n/a" with the reason when fewer than two distinct labelled scores exist."""
    value = metrics.get("spearman")
    if value is None:
        return "n/a (needs 2+ labelled videos with different scores)"
    return f"{value:.{digits}f}"


def summary_pdf_path(out_csv: str | Path, reports: str | Path | None) -> Path:
    """Where the PDF ranking the routines goes: in the reports folder, else beside the results CSV."""
    out_csv = Path(out_csv)
    return Path(reports) / "batch_summary.pdf" if reports else out_csv.with_name(out_csv.stem + "_summary.pdf")
