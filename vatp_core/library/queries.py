"""Reading the library: the filtered attempts table and the progress series of one athlete with one pack."""

from __future__ import annotations

from dataclasses import dataclass, field

from .records import AttemptRow
from .store import Library

_ROW_SQL = (
    "SELECT a.id, a.scored_at, a.date, COALESCE(t.name, ''), a.routine, a.pack_name, a.pack_id, a.mean, a.std, "
    "a.interval_lo, a.interval_hi, a.ood, a.difficulty, a.notes, a.tags, a.video_name, a.video_path, "
    "a.content_hash, a.source_path, COALESCE(s.place, ''), a.pack_label "
    "FROM attempts a LEFT JOIN athletes t ON t.id = a.athlete_id LEFT JOIN sessions s ON s.id = a.session_id"
)


@dataclass
class AttemptFilter:
    """What the Library tab's filter bar and `vatp library list` narrow the table to (None: any)."""

    athlete: str | None = None  # "" selects attempts without an athlete
    routine: str | None = None
    pack_id: str | None = None
    tag: str | None = None
    date_from: str | None = None  # ISO date, inclusive
    date_to: str | None = None  # ISO date, inclusive
    text: str | None = None  # in the video name or the notes

    def matches(self, r: AttemptRow) -> bool:
        """Whether the row passes; names and tags compare without regard to case, as the database stores them."""
        if self.athlete is not None and r.athlete.casefold() != self.athlete.casefold():
            return False
        if self.routine and r.routine != self.routine:
            return False
        if self.pack_id and r.pack_id != self.pack_id:
            return False
        if self.tag and self.tag.casefold() not in (t.strip().casefold() for t in r.tags.split(",")):
            return False
        if self.date_from and r.date < self.date_from:
            return False
        if self.date_to and r.date > self.date_to:
            return False
        if self.text:
            needle = self.text.casefold()
            if needle not in r.video_name.casefold() and needle not in r.notes.casefold():
                return False
        return True

    def apply(self, rows: list[AttemptRow]) -> list[AttemptRow]:
        return [r for r in rows if self.matches(r)]


def attempt_rows(lib: Library, flt: AttemptFilter | None = None) -> list[AttemptRow]:
    """The attempts that pass the filter, newest first.

    Filtering happens on the rows in memory: the Library tab keeps every row and refilters on each key
    press (10,000 rows in a few milliseconds), and one implementation serves the tab, the CLI and the CSV.
    """
    rows = [_row(r) for r in lib.execute(_ROW_SQL + " ORDER BY a.scored_at DESC, a.id DESC").fetchall()]
    return flt.apply(rows) if flt is not None else rows


def attempt_row(lib: Library, attempt_id: int) -> AttemptRow | None:
    r = lib.execute(_ROW_SQL + " WHERE a.id = ?", (attempt_id,)).fetchone()
    return _row(r) if r else None


def _row(r: tuple) -> AttemptRow:
    return AttemptRow(
        id=r[0],
        scored_at=r[1],
        date=r[2],
        athlete=r[3],
        routine=r[4],
        pack_name=r[5],
        pack_id=r[6],
        mean=r[7],
        std=r[8],
        interval_lo=r[9],
        interval_hi=r[10],
        ood=None if r[11] is None else bool(r[11]),
        difficulty=r[12],
        notes=r[13],
        tags=r[14],
        video_name=r[15],
        video_path=r[16],
        content_hash=r[17],
        source_path=r[18],
        place=r[19],
        pack_label=r[20],
    )


def subaction_table(lib: Library, attempt_ids: list[int]) -> dict[int, list[tuple[str, float | None]]]:
    """(name, contribution) of each attempt's sub-actions, in their stored order."""
    out: dict[int, list[tuple[str, float | None]]] = {i: [] for i in attempt_ids}
    for start in range(0, len(attempt_ids), 500):
        chunk = attempt_ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        cur = lib.execute(
            f"SELECT attempt_id, name, contribution FROM subactions WHERE attempt_id IN ({marks}) "
            "ORDER BY attempt_id, position",
            tuple(chunk),
        )
        for attempt_id, name, contribution in cur:
            out[attempt_id].append((name, contribution))
    return out


@dataclass
class ProgressSeries:
    """One athlete's attempts with one pack, oldest first: everything on one score scale."""

    athlete: str
    pack_id: str
    pack_name: str
    score_range: tuple[float, float] | None
    pack_label: str = ""  # e.g. "synthetic demo — not for judging": shown wherever the pack is
    attempt_ids: list[int] = field(default_factory=list)
    times: list[str] = field(default_factory=list)  # ISO scoring time of each attempt
    means: list[float] = field(default_factory=list)
    stds: list[float] = field(default_factory=list)
    interval_lo: list[float | None] = field(default_factory=list)
    interval_hi: list[float | None] = field(default_factory=list)
    contributions: dict[str, list[float | None]] = field(default_factory=dict)  # per sub-action name

    @property
    def has_intervals(self) -> bool:
        return any(lo is not None and hi is not None for lo, hi in zip(self.interval_lo, self.interval_hi))


def progress(lib: Library, athlete: str, pack_id: str) -> ProgressSeries:
    """Score (and interval) over time and one series per sub-action contribution; never mixes packs."""
    cur = lib.execute(
        "SELECT a.id, a.scored_at, a.mean, a.std, a.interval_lo, a.interval_hi, a.pack_name, a.score_lo, a.score_hi, "
        "a.pack_label "
        "FROM attempts a JOIN athletes t ON t.id = a.athlete_id WHERE t.name = ? AND a.pack_id = ? "
        "ORDER BY a.scored_at, a.id",
        (athlete, pack_id),
    )
    rows = cur.fetchall()
    lo_hi = next(((r[7], r[8]) for r in rows if r[7] is not None and r[8] is not None), None)
    series = ProgressSeries(athlete, pack_id, rows[0][6] if rows else "", lo_hi, rows[-1][9] if rows else "")
    for r in rows:
        series.attempt_ids.append(r[0])
        series.times.append(r[1])
        series.means.append(r[2])
        series.stds.append(r[3])
        series.interval_lo.append(r[4])
        series.interval_hi.append(r[5])
    subs: dict[int, list[tuple[str, float | None]]] = {i: [] for i in series.attempt_ids}
    names: list[str] = []
    for attempt_id, name, contribution in lib.execute(
        "SELECT s.attempt_id, s.name, s.contribution FROM subactions s JOIN attempts a ON a.id = s.attempt_id "
        "JOIN athletes t ON t.id = a.athlete_id WHERE t.name = ? AND a.pack_id = ? ORDER BY s.attempt_id, s.position",
        (athlete, pack_id),
    ):
        subs[attempt_id].append((name, contribution))
        if name not in names:
            names.append(name)
    for name in names:
        values = []
        for attempt_id in series.attempt_ids:
            found = [c for n, c in subs[attempt_id] if n == name]
            values.append(found[0] if found else None)
        series.contributions[name] = values
    return series
