"""Batch QC driven one file at a time, so Slicer stays responsive (a QTimer calls `step`) and a
reviewer can cancel. Writes the same files as `radiographqc ... --out`: <stem>.json, <stem>.html per
image and summary.csv; a bad file is reported in the summary and the batch goes on."""
from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from radiographqc.batch import BatchResult, Outcome, _unique_stem
from radiographqc.errors import RadiographQCError
from radiographqc.report.csv_summary import summary_row, write_summary
from radiographqc.report.html_report import write_html
from radiographqc.report.json_report import write_json


@dataclass
class BatchStep:
    """What one step did: file `done` of `total` (1-based), its report or the error."""

    done: int
    total: int
    path: Path
    reportPath: Path | None
    error: str | None

    @property
    def progress(self) -> float:
        return self.done / self.total if self.total else 1.0


class BatchRunner:
    """Process `files` with `process(path) -> Outcome`, one per `step()` call."""

    def __init__(self, files, process: Callable[[Path], Outcome], outDir, lowConfidence: float = 0.5):
        self.files = [Path(f) for f in files]
        self.process = process
        self.outDir = Path(outDir)
        self.lowConfidence = lowConfidence
        self.result = BatchResult()
        self.summaryPath = None
        self._next = 0
        self._stems: set[str] = set()
        self._cancelled = False

    @property
    def finished(self) -> bool:
        return self.summaryPath is not None

    def cancel(self):
        """Stop before the next file; the summary lists the files done so far."""
        self._cancelled = True

    def step(self) -> BatchStep | None:
        """Process the next file; None when the batch is over (all done or cancelled), after the
        summary is written."""
        if self._cancelled or self._next >= len(self.files):
            self._finish()
            return None
        path = self.files[self._next]
        self._next += 1
        reportPath, error = self._one(path)
        return BatchStep(self._next, len(self.files), path, reportPath, error)

    def run(self, onStep: Callable[[BatchStep], None] | None = None) -> BatchResult:
        """All steps in a row (command line, tests); `onStep` sees each step and may call cancel()."""
        while (step := self.step()) is not None:
            if onStep is not None:
                onStep(step)
        return self.result

    def _one(self, path: Path):
        try:
            if not path.is_file():
                raise RadiographQCError(f"{path}: no such file")
            outcome = self.process(path)
        except RadiographQCError as exc:
            return self._failed(path, str(exc))
        except Exception as exc:  # an unforeseen file or a bug: report it with its trace, go on with the batch
            return self._failed(path, f"{path}: unexpected {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        self.outDir.mkdir(parents=True, exist_ok=True)
        stem = _unique_stem(path, self._stems)
        reportPath = write_json(outcome.report, self.outDir / f"{stem}.json")
        write_html(outcome.report, outcome.png, self.outDir / f"{stem}.html", self.lowConfidence)
        self.result.rows.append(summary_row(path, outcome.report, report_path=reportPath))
        return reportPath, None

    def _failed(self, path: Path, message: str):
        self.result.failed += 1
        self.result.rows.append(summary_row(path, error=message.splitlines()[0]))
        return None, message

    def _finish(self):
        if self.summaryPath is None:
            self.outDir.mkdir(parents=True, exist_ok=True)
            self.summaryPath = write_summary(self.result.rows, self.outDir / "summary.csv")
