"""Run one QC module over many files: progress bar, a bad file is reported and skipped, nothing is lost."""
from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from .errors import RadiographQCError
from .report.csv_summary import summary_row, write_summary
from .report.html_report import write_html
from .report.json_report import write_json

# Files beside the images that are never images themselves (keypoints, masks' tables, reports).
SIDECAR_SUFFIXES = {".json", ".csv", ".html", ".htm", ".txt", ".md", ".nrrd", ".nii", ".gz", ".log", ".xml", ".yaml",
                    ".yml", ".py", ".zip"}


@dataclass
class Outcome:
    """What a module's per-image function returns: the JSON report and the overlay picture."""

    report: dict
    png: bytes | None = None


@dataclass
class BatchResult:
    rows: list[dict] = field(default_factory=list)
    failed: int = 0
    summary_path: Path | None = None

    @property
    def ok(self) -> bool:
        return self.failed == 0


def _is_candidate(path: Path, label_suffixes: tuple[str, ...]) -> bool:
    name = path.name
    if name.startswith(".") or path.suffix.lower() in SIDECAR_SUFFIXES:
        return False
    return not name.endswith(label_suffixes)


# Label images beside the radiographs (see label_io): never inputs themselves.
LABEL_SUFFIXES = (".labels.png", ".vertebrae.png")


def expand_inputs(paths, label_suffixes: tuple[str, ...] = LABEL_SUFFIXES) -> list[Path]:
    """Files given directly are taken as they are; folders are searched recursively for image files
    (label images with one of `label_suffixes` left out)."""
    files = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.is_file() and _is_candidate(f, label_suffixes))
        else:
            files.append(p)
    return files


@dataclass
class BatchStep:
    """What one step did: file `done` of `total` (1-based), its JSON report or its error (one line;
    `trace` holds the traceback of an unexpected failure)."""

    done: int
    total: int
    path: Path
    report_path: Path | None = None
    error: str | None = None
    trace: str | None = None

    @property
    def progress(self) -> float:
        return self.done / self.total if self.total else 1.0


def iter_batch(files: list[Path], process: Callable[[Path], Outcome], out_dir: Path, result: BatchResult,
               stop: Callable[[], bool] = lambda: False) -> Iterator[BatchStep]:
    """Process the files one per step, writing <stem>.json and <stem>.html per image into `out_dir`;
    `result` collects the summary rows. Ends when every file is done or `stop()` says so before the
    next file (a cancel), and then writes summary.csv of the files done (`result.summary_path`)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    for done, path in enumerate(map(Path, files), 1):
        if stop():
            break
        step = BatchStep(done, len(files), path)
        try:
            if not path.is_file():
                raise RadiographQCError(f"{path}: no such file")
            outcome = process(path)
        except RadiographQCError as exc:
            step.error = str(exc)
        except Exception as exc:  # a bug or an unforeseen file: report it with its trace, go on with the batch
            step.error, step.trace = f"{path}: unexpected {type(exc).__name__}: {exc}", traceback.format_exc()
        if step.error is None:
            try:
                step.report_path = _write_reports(outcome, out_dir / _unique_stem(path, used))
            except OSError as exc:   # a full disk or a refused name fails this file, not the batch
                step.error = f"{path}: cannot write its report into {out_dir}: {exc.strerror or exc}"
        if step.error is None:
            result.rows.append(summary_row(path, outcome.report, report_path=step.report_path))
        else:
            result.failed += 1
            result.rows.append(summary_row(path, error=step.error))
        yield step
    result.summary_path = write_summary(result.rows, out_dir / "summary.csv")


def _unique_stem(path: Path, used: set[str]) -> str:
    """The file's stem, numbered (-2, -3...) when another file of the batch had the same one."""
    stem = path.stem or path.name
    candidate, n = stem, 2
    while candidate in used:
        candidate, n = f"{stem}-{n}", n + 1
    used.add(candidate)
    return candidate


def _write_reports(outcome: Outcome, base: Path) -> Path:
    json_path = write_json(outcome.report, base.with_name(base.name + ".json"))
    write_html(outcome.report, outcome.png, base.with_name(base.name + ".html"))
    return json_path


def run_batch(files: list[Path], process: Callable[[Path], Outcome], out_dir: Path,
              progress: bool = True) -> BatchResult:
    """Process every file with a progress bar; write <stem>.json and <stem>.html per image and
    summary.csv for the batch."""
    from tqdm import tqdm  # command line only: Slicer drives BatchRunner and bundles no tqdm

    result = BatchResult()
    with tqdm(total=len(files), unit="image", disable=not progress or len(files) < 2, file=sys.stderr) as bar:
        for step in iter_batch(files, process, out_dir, result):
            bar.set_postfix_str(step.path.name[-30:])
            bar.update()
            if step.error is not None:
                tqdm.write(f"error: {step.error}" + (f"\n{step.trace}" if step.trace else ""), file=sys.stderr)
    return result


class BatchRunner:
    """A batch driven one file per `step()` call (a GUI timer), so the application stays responsive
    and a person can cancel; the same files and summary as `run_batch`."""

    def __init__(self, files, process: Callable[[Path], Outcome], out_dir):
        self.files = [Path(f) for f in files]
        self.result = BatchResult()
        self._cancelled = False
        self._steps = iter_batch(self.files, process, Path(out_dir), self.result,
                                 stop=lambda: self._cancelled)

    @property
    def finished(self) -> bool:
        return self.result.summary_path is not None

    def cancel(self):
        """Stop before the next file; the summary lists the files done so far."""
        self._cancelled = True

    def step(self) -> BatchStep | None:
        """Process the next file; None once the batch is over (done or cancelled) and summarised."""
        return next(self._steps, None)

    def run(self, on_step: Callable[[BatchStep], None] | None = None) -> BatchResult:
        """All steps in a row; `on_step` sees each step and may call cancel()."""
        while (step := self.step()) is not None:
            if on_step is not None:
                on_step(step)
        return self.result
