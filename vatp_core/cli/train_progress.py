"""The progress display of `vatp train` and `vatp reproduce`: loading, then one bar over the epochs."""

from __future__ import annotations

from ..time_format import duration


class TrainProgress:
    """Epoch bar with running loss and selection-set Spearman (the shared `ProgressBar`), sparse lines off a terminal."""

    def __init__(self, total_epochs: int, label: str = "", enabled: bool = True, stream=None) -> None:
        from .progress_bar import ProgressBar

        self.total = total_epochs
        self.loading = ProgressBar(enabled, stream=stream, label=label, lines=1, unit="file")
        self.epochs = ProgressBar(enabled, stream=stream, label=label, lines=20, unit="epoch")
        self.best = (-2.0, 0)
        self.epoch_times: list[float] = []
        self.summary = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "load":
            self.loading("reading features", done, total)
        elif stage == "decode":
            self.loading("decoding clips", done, total)
        elif stage == "batch" and self.epochs.tty:
            self.epochs.note(f"{self.summary}  batch {done}/{total}")

    def epoch(self, e) -> None:
        self.loading.close()
        self.epoch_times.append(e.seconds)
        if e.val_spearman is not None and e.val_spearman > self.best[0]:
            self.best = (e.val_spearman, e.epoch)
        per = sum(self.epoch_times[-10:]) / len(self.epoch_times[-10:])
        val = (
            f"  val ρ {e.val_spearman:.3f} (best {self.best[0]:.3f} @ {self.best[1]})"
            if e.val_spearman is not None
            else ""
        )
        self.summary = f"loss {e.loss:.4f}{val}  {per:.1f} s/epoch"
        eta = "" if self.epochs.tty else f"  ETA {duration(per * (self.total - e.epoch))}"  # tqdm shows its own
        self.epochs.note(self.summary + eta)
        self.epochs("epoch", e.epoch, self.total)

    def phase(self, text: str, total_epochs: int) -> None:
        """A second run over the epochs (the refit): print what it is, then a fresh bar over ``total_epochs``."""
        from .progress_bar import ProgressBar

        enabled, label, stream = self.epochs.enabled, self.epochs.label, self.epochs.stream
        self.epochs.close()
        print(text, flush=True)
        self.total, self.best, self.epoch_times, self.summary = total_epochs, (-2.0, 0), [], ""
        self.epochs = ProgressBar(enabled, stream=stream, label=label, lines=20, unit="epoch")

    def close(self) -> None:
        self.loading.close()
        self.epochs.close()
