"""Readable lines about how far to believe a pack: its calibration, its OOD statistics and its test report.

Shared by `vatp train`, `vatp eval`, `vatp packs show` and the app's pack details dialog (plain text, no torch).
"""

from __future__ import annotations

from typing import Any

from .conformal import DEFAULT_LEVEL, min_calibration_size


def trust_lines(report: dict[str, Any], spearman: float) -> list[str]:
    """Readable lines of a trust report (what the CLI prints and `vatp packs show` repeats)."""
    lines = []
    ci = report.get("spearman_ci")
    lines.append(
        f"Spearman {spearman:.3f}" + (f"  (95% bootstrap CI {ci[0]:.3f} to {ci[1]:.3f})" if ci else "  (no CI: n < 4)")
    )
    level = float(report.get("level", DEFAULT_LEVEL))
    pct = f"{100 * level:g}%"
    if report.get("coverage") is None:
        lines.append(f"{pct} interval: {report.get('uncalibrated', 'uncalibrated')}")
    else:
        lines.append(
            f"{pct} interval: coverage {report['coverage']:.3f}, mean width {report['interval_width']:.2f} "
            f"(central {pct} of the true scores spans {report.get('naive_width', float('nan')):.2f}; "
            f"{report.get('n_calibration', 0)} calibration videos)"
        )
    if report.get("frame_accuracy"):
        lines.append(frame_accuracy_line(report["frame_accuracy"]))
    if report.get("ood_flagged") is not None:
        lines.append(f"out-of-distribution flags on the test split: {100 * report['ood_flagged']:.1f}%")
    for key, title in (("training_mean", "baseline training mean"), ("ridge", "baseline mean-pooled ridge")):
        row = (report.get("baselines") or {}).get(key)
        if not row:
            continue
        cov = (
            ""
            if row.get("coverage") is None
            else f", coverage {row['coverage']:.3f}, width {row['interval_width']:.2f}"
        )
        extra = f" (penalty {row['penalty']:g})" if "penalty" in row else ""
        lines.append(f"{title}{extra}: Spearman {row['spearman']:.3f}, R-l2 {row['rl2']:.3f}{cov}")
    if report.get("beats_ridge") is False:
        lines.append("this pack does not beat the ridge baseline on its own test split")
    return lines


def frame_accuracy_line(fa: dict[str, Any]) -> str:
    """The parse's sub-action frame accuracy beside cutting every routine into S equal parts."""

    def pct(v: Any) -> str:
        return "—" if v is None else f"{v:.3f}"

    verdict = ""
    if fa.get("parse") is not None and fa.get("equal_parts") is not None and fa["parse"] <= fa["equal_parts"]:
        verdict = "; the parse is no better than equal parts"
    return (
        f"sub-action frame accuracy on {fa.get('n_videos', 0)} labelled videos: parse {pct(fa.get('parse'))}, "
        f"{fa.get('subactions', '?')} equal parts {pct(fa.get('equal_parts'))} (sub-action frames only: parse "
        f"{pct(fa.get('parse_active'))}, equal parts {pct(fa.get('equal_parts_active'))}){verdict}"
    )


def pack_trust_lines(manifest: Any) -> list[str]:
    """What a pack says about its calibration, OOD statistics and test figures (from its manifest)."""
    trust = getattr(manifest, "trust", None) or {}
    lines = []
    cal = trust.get("calibration")
    if cal:
        spread = (cal.get("spread") or {}).get("kind", "?")
        tails = ", two-tailed" if cal.get("shape") == "two-tailed" else ""
        lines.append(
            f"calibration: {cal.get('method', '?')}{tails} with a {spread} spread, {cal.get('n', 0)} calibration videos"
        )
        if cal.get("data"):
            lines.append(f"  {cal['data']}")
        n, need = int(cal.get("n", 0)), min_calibration_size(DEFAULT_LEVEL)
        if n < need:
            lines.append(f"  uncalibrated at 90%: {n} calibration videos, need ≥ {need}")
    else:
        lines.append("calibration: none — scores from this pack say 'uncalibrated' instead of an interval")
    ood = trust.get("ood")
    if ood:
        lines.append(
            f"out-of-distribution statistics: {ood.get('n_fit', 0)} training videos, threshold "
            f"{float(ood.get('threshold', 0)):.1f} (the {float(ood.get('threshold_percentile', 99)):g}th percentile "
            f"of {ood.get('n_reference', 0)} {ood.get('reference', '')} videos)"
        )
    else:
        lines.append("out-of-distribution statistics: none — this pack cannot warn about unusual videos")
    refit = (getattr(manifest, "training", None) or {}).get("refit") or {}
    if refit.get("done"):
        lines.append(
            f"refit: trained again on fit + select ({refit.get('n_videos', '?')} videos) for the "
            f"{refit.get('epochs', '?')} epochs selected on {refit.get('n_select', '?')}"
        )
    for text in (trust.get("notes") or {}).values():
        if isinstance(text, str):
            lines.append(f"note: {text}")
    test = (getattr(manifest, "metrics", None) or {}).get("test") or {}
    if "spearman" in test:
        lines.append(f"test split (n={test.get('n', '?')}):")
        lines += [f"  {line}" for line in trust_lines(test, float(test["spearman"]))]
    return lines
