"""`vatp reproduce`: every class × ablation preset of a dataset, laid out like the paper's table, with its numbers beside ours."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from ..datasets import dataset_spec
from ..metrics import fisher_z_mean
from .checkpoints import CheckpointError
from .config import SELECTION_TEXT, TrainConfig
from .paper_tables import ABLATION_TABLES, PAPER_TABLES, REPRODUCE_PRESETS, AblationRow, preset_label
from .protocol import ClassRun, default_epochs, run_class


@dataclass
class ReproduceResult:
    dataset: str
    selection: str
    epochs: int | None
    seed: int
    runs: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # row key (preset) → class → numbers
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    table: str | None = None  # an ablation table (I, III, IV, V) instead of the dataset's preset table
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # row key → label, preset, overrides, paper
    limit: int | None = None  # only the first N routines of each split (a quick check)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "selection": self.selection,
            "selection_text": selection_text(self.selection),
            "epochs": self.epochs,
            "seed": self.seed,
            "runs": self.runs,
            "notes": self.notes,
            "seconds": round(self.seconds, 1),
            "paper": PAPER_TABLES[self.dataset],
            "table": self.table,
            "rows": self.rows,
            "limit": self.limit,
        }


BOTH = "both"  # one run per row: the epoch chosen on a validation part, and the best test epoch beside it
BOTH_TEXT = (
    "both from one run fitted on the training split minus a validation part: 'val' = the epoch chosen on that "
    "part (test set untouched until the end), 'best_test' = the best epoch on the test set (the field's practice, "
    "as the paper's tables; optimistic)"
)


def selection_text(selection: str) -> str:
    return BOTH_TEXT if selection == BOTH else SELECTION_TEXT[selection]


def _columns(dataset: str, per_class: dict[str, float]) -> list[float | None]:
    """Our per-class values in the paper's column order, with its averages (Fisher-z) recomputed."""
    cols = PAPER_TABLES[dataset]["columns"]
    out: list[float | None] = []
    for c in cols:
        if c in per_class:
            out.append(per_class[c])
        elif c == "Avg.":
            vals = list(per_class.values())
            out.append(fisher_z_mean(vals) if len(vals) == len(cols) - 1 else None)
        elif c.endswith(" Avg."):
            prog = c.split()[0]
            vals = [v for k, v in per_class.items() if k.startswith(prog + "-")]
            out.append(fisher_z_mean(vals) if len(vals) == 2 else None)
        else:
            out.append(None)
    return out


def reproduce(
    dataset: str,
    features: str | Path,
    train_cfg: TrainConfig,
    *,
    epochs: int | None = None,
    presets: tuple[str, ...] | None = None,
    classes: tuple[str, ...] | None = None,
    annotations: str | Path | None = None,
    packs_dir: str | Path | None = None,
    checkpoint_root: str | Path | None = None,
    on_run: Callable[[int, int, str, str, int], Callable | None] | None = None,
    cancel=None,
    table: str | None = None,
    rows: tuple[int, ...] | None = None,
    limit: int | None = None,
    monitor_test: bool = False,
) -> ReproduceResult:
    """Train and test every (row, class); ``on_run(i, n, row, cls, epochs)`` may return an on_epoch callback.

    ``monitor_test`` (with selection "val") keeps each run's best test epoch beside its validation choice: the
    result's selection is then "both" and every run carries a ``best_test`` entry.

    Rows are the ablation presets of the dataset's table, or those of ``table`` (I, III, IV, V: a preset and
    config overrides each); ``rows`` picks some of them (1-based), ``limit`` the first N routines of each split.
    With ``checkpoint_root`` every run keeps a checkpoint there, so an interrupted reproduction picks up where
    it stopped (finished runs are only re-evaluated); a checkpoint of different settings is replaced.
    """
    spec = dataset_spec(dataset)
    classes = classes or spec.classes
    all_rows = _table_rows(spec.name, table, presets)
    if rows:
        bad = [i for i in rows if not 1 <= i <= len(all_rows)]
        if bad:
            raise ValueError(f"row {bad[0]} does not exist: the table has rows 1 to {len(all_rows)}")
        all_rows = tuple(all_rows[i - 1] for i in rows)
    t0 = time.perf_counter()
    if monitor_test and train_cfg.selection != "val":
        raise ValueError("keeping the best test epoch beside another needs selection 'val'")
    selection = BOTH if monitor_test else train_cfg.selection
    res = ReproduceResult(
        dataset=spec.name, selection=selection, epochs=epochs, seed=train_cfg.seed, table=table, limit=limit
    )
    if packs_dir is not None:  # say before hours of training, not after, that no pack can be written
        from ..datasets import DatasetError, load_split
        from .packs import backbone_problem

        problem = backbone_problem(load_split(spec.name, features, classes[0], "train", annotations=annotations))
        if problem:
            raise DatasetError(f"--packs: {problem}")
    jobs = [(row, c) for row in all_rows for c in classes]
    for i, (row, cls) in enumerate(jobs, start=1):
        n_epochs = epochs or default_epochs(spec.name, cls)
        cb = on_run(i, len(jobs), row.key, cls, n_epochs) if on_run else None
        ckpt = Path(checkpoint_root) / _run_folder(cls, row.key) if checkpoint_root else None
        tc = replace(train_cfg, checkpoint_dir=str(ckpt) if ckpt else None, resume=True)
        job = dict(
            epochs=n_epochs,
            annotations=annotations,
            cfg_overrides=dict(row.overrides),
            on_epoch=cb,
            cancel=cancel,
            limit=limit,
            monitor_test=monitor_test,
        )
        try:
            run: ClassRun = run_class(spec.name, features, cls, row.preset, tc, **job)
        except CheckpointError:  # left by a reproduction with other settings: start this run afresh
            if ckpt is not None:
                shutil.rmtree(ckpt, ignore_errors=True)
            run = run_class(spec.name, features, cls, row.preset, tc, **job)
        r = run.result
        last = r.history[-1].val_spearman if r.history else None
        from ..model import count_parameters

        res.rows[row.key] = {
            "label": row.label,
            "preset": row.preset,
            "overrides": dict(row.overrides),
            "paper": row.paper,
            "paper_params_m": row.paper_params_m,
            "params": count_parameters(r.model)["total"],
            "note": row.note,
        }
        res.runs.setdefault(row.key, {})[run.cls] = {
            "spearman": run.test["spearman"],
            "rl2": run.test["rl2"],
            "mse": run.test["mse"],
            "n": run.test["n"],
            "best_epoch": r.best_epoch,
            "epochs": n_epochs,
            "last_epoch_test_spearman": last if train_cfg.selection != "val" else None,
            "selection_spearman": (r.val_metrics or {}).get("spearman"),
            "seconds": round(r.seconds, 1),
        }
        if r.monitor_best is not None:  # the same run's best test epoch, labelled best_test in the table
            res.runs[row.key][run.cls]["best_test"] = dict(r.monitor_best)
        for note in r.notes:
            if note.startswith("initialised from pack"):
                note = note.split(":")[0] + " (every run), then fine-tuned"
            if note.startswith("resumed after"):
                note = "some runs resumed from their checkpoints"
            if note not in res.notes and not note.startswith("input size"):
                res.notes.append(note)
        if packs_dir is not None:
            from .packs import save_trained_pack

            save_trained_pack(
                Path(packs_dir) / f"{spec.name}-{_run_folder(run.cls, row.key)}".lower(),
                r,
                run.train_set,
                test_metrics=run.test,
                test_set=run.test_set,
                sport=spec.sport,
            )
    res.seconds = time.perf_counter() - t0
    return res


def _table_rows(dataset: str, table: str | None, presets: tuple[str, ...] | None) -> tuple[AblationRow, ...]:
    if table is None:
        return tuple(AblationRow(p, preset_label(dataset, p), p) for p in presets or REPRODUCE_PRESETS[dataset])
    if table not in ABLATION_TABLES:
        raise ValueError(f"unknown table {table!r}; choose one of {', '.join(ABLATION_TABLES)}")
    if presets:
        raise ValueError("give either a table or presets, not both")
    return ABLATION_TABLES[table]["rows"]


def _run_folder(cls: str, key: str) -> str:
    """A file-name-safe folder for one run (``S=2`` → ``S2``, ``te+pd`` → ``tepd``)."""
    return f"{cls}-{key}".replace("+", "").replace("=", "")


def format_table(res: ReproduceResult, features: str | Path | None = None) -> str:
    """A text table in the paper's layout: per preset a 'paper' row and an 'ours' row; then the paper's baselines."""
    if res.table is not None:
        return format_ablation_table(res, features)
    paper = PAPER_TABLES[res.dataset]
    spec = dataset_spec(res.dataset)
    cols = paper["columns"]
    w = max(8, max(len(c) for c in cols) + 2)
    label_w = 24
    lines = [f"{spec.title}: Spearman's ρ on the official test split, laid out as the paper's {paper['tables']}"]
    if res.epochs:
        lines.append(
            f"epochs: {res.epochs} for every class (override; the paper's schedule: "
            + ", ".join(f"{c} {default_epochs(res.dataset, c)}" for c in spec.classes)
            + ")"
        )
    else:
        lines.append(
            "epochs: "
            + ", ".join(f"{c} {default_epochs(res.dataset, c)}" for c in spec.classes)
            + (" (the paper's)" if spec.epochs_from_paper else " (the paper does not say; our default)")
        )
    lines.append(f"model selection: {selection_text(res.selection)}; seed {res.seed}")
    if features:
        lines.append(f"features: {features}")
    lines.append("")
    tag_w = 11 if res.selection == BOTH else 7
    lines.append(f"{'method':<{label_w}}{'':<{tag_w}}" + "".join(f"{c:>{w}}" for c in cols))
    lines.append("-" * (label_w + tag_w + w * len(cols)))

    def fmt(v):
        return f"{v:>{w}.3f}" if isinstance(v, (int, float)) else f"{'—':>{w}}"

    for preset, per_class in res.runs.items():
        label = preset_label(res.dataset, preset)
        p_row = paper["presets"].get(preset)
        lines.append(f"{label:<{label_w}}{'paper':<{tag_w}}" + "".join(fmt(v) for v in (p_row or [None] * len(cols))))
        ours = _columns(res.dataset, {c: v["spearman"] for c, v in per_class.items()})
        if res.selection == BOTH:
            bt = {c: v["best_test"]["spearman"] for c, v in per_class.items() if v.get("best_test")}
            lines.append(f"{'':<{label_w}}{'best_test':<{tag_w}}" + "".join(fmt(v) for v in _columns(res.dataset, bt)))
            lines.append(f"{'':<{label_w}}{'val':<{tag_w}}" + "".join(fmt(v) for v in ours))
            continue
        lines.append(f"{'':<{label_w}}{'ours':<{tag_w}}" + "".join(fmt(v) for v in ours))
        if res.selection == "best_test":
            last = {
                c: v["last_epoch_test_spearman"]
                for c, v in per_class.items()
                if v.get("last_epoch_test_spearman") is not None
            }
            if last:
                lines.append(f"{'':<{label_w}}{'last':<7}" + "".join(fmt(v) for v in _columns(res.dataset, last)))
    if paper["baselines"]:
        lines.append("")
        lines.append(f"other methods as the paper reports them ({paper['tables']}):")
        for name, row in paper["baselines"].items():
            lines.append(f"{name:<{label_w}}{'paper':<{tag_w}}" + "".join(fmt(v) for v in row))
    lines.append("")
    lines.append("ours: R-ℓ2 (×100) / MSE on the test split")
    for preset, per_class in res.runs.items():
        cells = "  ".join(f"{c} {v['rl2']:.3f}/{v['mse']:.3f}" for c, v in per_class.items())
        lines.append(f"  {preset_label(res.dataset, preset):<{label_w - 2}}{cells}")
    if res.selection == "best_test":
        lines.append(
            "'ours' picks the best test epoch, as the paper's field does; 'last' is the final epoch's test ρ "
            "(no selection). Use --selection val for an estimate that never looks at the test set."
        )
    if res.selection == BOTH:
        lines.append(
            "'best_test' picks the best test epoch, as the paper's field does (optimistic); 'val' is the epoch "
            "chosen on the validation part, the honest estimate. R-ℓ2 / MSE above are the 'val' model's."
        )
    for note in res.notes:
        lines.append(f"note: {note}")
    lines.append(f"({len([1 for p in res.runs.values() for _ in p])} runs in {res.seconds:.0f} s)")
    return "\n".join(lines)


def format_ablation_table(res: ReproduceResult, features: str | Path | None = None) -> str:
    """Tables I, III, IV, V: each row's settings, the paper's ρ and ours (Fisher-z mean over classes) side by side."""
    from ..metrics import fisher_z_mean as zmean

    t = ABLATION_TABLES[str(res.table)]
    spec = dataset_spec(res.dataset)
    lines = [f"{t['title']} — paper on {dataset_spec(t['dataset']).title}; ours on {spec.title}"]
    lines.append(f"model selection: {selection_text(res.selection)}; seed {res.seed}")
    epochs = res.epochs or ", ".join(f"{c} {default_epochs(res.dataset, c)}" for c in spec.classes)
    lines.append(f"epochs: {epochs}" + (f"; first {res.limit} routines of each split only" if res.limit else ""))
    if features:
        lines.append(f"features: {features}")
    same = t["dataset"] == res.dataset
    params = any(r.get("paper_params_m") for r in res.rows.values())
    both = res.selection == BOTH  # then 'val ρ' and, from the same run, 'best_test ρ' instead of 'last ρ'
    head = f"{'#':>3}  {'row':<34}{'paper ρ':>9}" + ("   val ρ  best_test ρ" if both else f"{'ours ρ':>9}{'last ρ':>9}")
    lines += ["", head + (f"{'paper M':>9}{'ours M':>9}" if params else ""), "-" * (len(head) + (18 if params else 0))]
    keys = [r.key for r in t["rows"]]
    for key, per_class in res.runs.items():
        row = res.rows[key]
        ours = zmean([v["spearman"] for v in per_class.values()])
        if both:
            last_vals = [(v.get("best_test") or {}).get("spearman") for v in per_class.values()]
        else:
            last_vals = [v["last_epoch_test_spearman"] for v in per_class.values()]
        known = [float(v) for v in last_vals if v is not None]
        last = zmean(known) if known and len(known) == len(last_vals) else None
        cells = [row["paper"] if same else None, ours]
        text = "".join(f"{v:>9.4f}" if isinstance(v, float) else f"{'—':>9}" for v in cells)
        text += f"{last:>{13 if both else 9}.4f}" if isinstance(last, float) else f"{'—':>{13 if both else 9}}"
        if params:
            pm = row.get("paper_params_m")
            text += (f"{pm:>9.2f}" if pm else f"{'—':>9}") + f"{row['params'] / 1e6:>9.2f}"
        lines.append(f"{keys.index(key) + 1:>3}  {row['label']:<34}{text}")
    for key in res.runs:
        if res.rows[key].get("note"):
            lines.append(f"row {keys.index(key) + 1}: {res.rows[key]['note']}")
    if not same:
        lines.append(f"the paper ran this table on {dataset_spec(t['dataset']).title} only: no paper numbers here")
    for note in res.notes:
        lines.append(f"note: {note}")
    lines.append(f"({sum(len(p) for p in res.runs.values())} runs in {res.seconds:.0f} s)")
    return "\n".join(lines)
