"""Run one QC module over many files: progress bar, a bad file is reported and skipped, nothing is lost."""
from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tqdm import tqdm

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


def _unique_stem(path: Path, used: set[str]) -> str:
    stem = path.stem or path.name
    candidate, n = stem, 2
    while candidate in used:
        candidate, n = f"{stem}-{n}", n + 1
    used.add(candidate)
    return candidate


def run_batch(files: list[Path], process: Callable[[Path], Outcome], out_dir: Path,
              progress: bool = True, low_confidence: float = 0.5) -> BatchResult:
    """Process every file; write <stem>.json and <stem>.html per image and summary.csv for the batch."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    result, used = BatchResult(), set()
    bar = tqdm(files, unit="image", disable=not progress or len(files) < 2, file=sys.stderr)
    for path in bar:
        bar.set_postfix_str(path.name[-30:])
        try:
            if not path.is_file():
                raise RadiographQCError(f"{path}: no such file")
            outcome = process(path)
        except RadiographQCError as exc:
            result.failed += 1
            result.rows.append(summary_row(path, error=str(exc)))
            tqdm.write(f"error: {exc}", file=sys.stderr)
            continue
        except Exception as exc:  # a bug or an unforeseen file: report it with its trace, go on with the batch
            result.failed += 1
            message = f"{path}: unexpected {type(exc).__name__}: {exc}"
            result.rows.append(summary_row(path, error=message))
            tqdm.write(f"error: {message}\n{traceback.format_exc()}", file=sys.stderr)
            continue
        stem = _unique_stem(path, used)
        json_path = write_json(outcome.report, out_dir / f"{stem}.json")
        write_html(outcome.report, outcome.png, out_dir / f"{stem}.html", low_confidence)
        result.rows.append(summary_row(path, outcome.report, report_path=json_path))
    write_summary(result.rows, out_dir / "summary.csv")
    return result
