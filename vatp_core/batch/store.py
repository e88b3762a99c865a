"""The resumable results store: the CSV + JSON pair and one ScoreResult JSON per video, written atomically."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import identity
from ..atomic import atomic_write
from ..csv_reader import CSVError, read_csv
from ..errors import VATPError
from ..jsonable import json_default
from ..result_rows import BATCH_FORMAT_VERSION, BatchRow

if TYPE_CHECKING:
    from .labels import Label

log = logging.getLogger(__name__)

RESULTS_SUFFIX = ".vatp"  # "<csv stem>.vatp/" beside the CSV holds one ScoreResult JSON per scored video


class BatchStore:
    """The CSV + JSON pair: loaded on start (resume), rewritten atomically after every row."""

    def __init__(self, out_csv: str | Path, out_json: str | Path | None = None) -> None:
        self.out_csv = Path(out_csv)
        self.out_json = Path(out_json) if out_json else self.out_csv.with_suffix(".json")
        self.results_dir = self.out_csv.with_name(self.out_csv.stem + RESULTS_SUFFIX)
        self.rows: dict[str, BatchRow] = {}
        self.meta: dict[str, Any] = {}
        self.metrics: dict | None = None
        self._remove_stale_temp_files()
        self.load()

    def _remove_stale_temp_files(self) -> None:
        """Temp files of a run killed in the middle of a write (the real files are intact)."""
        for target in (self.out_csv, self.out_json):
            for tmp in target.parent.glob(f".{target.name}.*.tmp"):
                try:
                    if time.time() - tmp.stat().st_mtime > 2.0:  # not a write in progress right now
                        tmp.unlink()
                except OSError:
                    pass

    def load(self) -> None:
        """Read back what a previous (possibly killed) run wrote; the JSON is preferred, then the CSV."""
        rows: list[BatchRow] = []
        if self.out_json.is_file():
            try:
                data = json.loads(self.out_json.read_text(encoding="utf-8"))
                rows = [BatchRow.from_dict(r) for r in data.get("rows", [])]
                self.meta = {k: v for k, v in data.items() if k not in ("rows", "metrics")}
            except (ValueError, AttributeError, TypeError) as exc:
                log.warning("ignoring unreadable %s: %s", self.out_json, exc)
                rows = []
        if not rows and self.out_csv.is_file():
            try:
                table = read_csv(self.out_csv, what="Results table")
                rows = [BatchRow.from_dict(r.values) for r in table.rows]
            except (ValueError, CSVError) as exc:
                raise VATPError(
                    f"{self.out_csv} exists but is not a VATP results table ({exc}); choose another --out file"
                ) from None
        self.rows = {r.file: r for r in rows}

    def is_done(
        self, rel: str, chash: str, pack_id: str, path: str | Path | None = None, label: "Label | None" = None
    ) -> bool:
        """True when this file, with this content, was already scored with this pack (and with ``label``'s
        difficulty and dive code, which change the score: a label edited since is scored again).

        A row written by an older version carries the sampled hash: with ``path`` it is re-checked against the
        file and counts as done when it matches (the caller then upgrades the row to ``chash``).
        """
        row = self.rows.get(rel)
        if not chash or row is None or row.status != "ok" or row.pack_id != pack_id:
            return False
        if label is not None and (
            label.dive_code != row.dive_code
            or (
                label.difficulty is not None
                and (row.difficulty is None or abs(row.difficulty - label.difficulty) > 1e-9)
            )
        ):
            return False
        if row.content_hash == chash:
            return True
        return path is not None and identity.verify(row.content_hash, path) is identity.Match.LEGACY

    def put(self, row: BatchRow) -> None:
        self.rows[row.file] = row

    def save_result(self, row: BatchRow, result: Any) -> str:
        """Write one ScoreResult JSON atomically; returns its path relative to the CSV's folder."""
        data = result.to_dict() if hasattr(result, "to_dict") else dict(result)
        safe = row.file.replace("/", "__")
        path = self.results_dir / f"{safe}.{identity.digest_part(row.content_hash, 12) or 'nohash'}.vatp.json"
        atomic_write(path, json.dumps(data, default=json_default), fsync=True)
        return os.path.relpath(path, self.out_csv.parent).replace(os.sep, "/")

    def result_path(self, row: BatchRow) -> Path | None:
        return (self.out_csv.parent / row.result_json) if row.result_json else None

    def write(self, order: list[str] | None = None) -> None:
        """Rewrite the CSV and the JSON, each atomically (JSON first: it is what a resume prefers)."""
        rows = self.ordered_rows(order)
        doc = dict(self.meta)
        doc.update(
            format_version=BATCH_FORMAT_VERSION, updated=utc_now(), rows=[asdict(r) for r in rows], metrics=self.metrics
        )
        atomic_write(self.out_json, json.dumps(doc, indent=1, default=json_default), fsync=True)
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=BatchRow.columns(), lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow(r.to_csv_dict())
        atomic_write(self.out_csv, buf.getvalue(), fsync=True)

    def ordered_rows(self, order: list[str] | None = None) -> list[BatchRow]:
        if not order:
            return sorted(self.rows.values(), key=lambda r: r.file)
        rank = {name: i for i, name in enumerate(order)}
        return sorted(self.rows.values(), key=lambda r: (rank.get(r.file, len(rank)), r.file))


def utc_now() -> str:
    """Timestamps in the batch files: UTC, ISO 8601, whole seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def load_batch_results(out_csv: str | Path) -> tuple[list[BatchRow], dict | None]:
    """Rows and metrics of a finished batch (for the summary report)."""
    store = BatchStore(out_csv)
    if store.out_json.is_file():
        try:
            store.metrics = json.loads(store.out_json.read_text(encoding="utf-8")).get("metrics")
        except ValueError:
            store.metrics = None
    return store.ordered_rows(), store.metrics
