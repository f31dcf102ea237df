"""Generate many simulated cases, deterministically per (seed, index), in parallel over cores."""
from __future__ import annotations

import json
import multiprocessing as mp
import zlib
from functools import partial
from pathlib import Path

import numpy as np

from .output import write_case

BODIES = {"wrist": ("AP", "LAT"), "lumbar": ("AP", "LAT", "OBL")}


def case_rngs(seed: int, index: int, body: str, view: str):
    """Independent generators for the case content and for its file details (header, photometric):
    the same (seed, index, body, view) gives the same case, whatever the job count."""
    tag = zlib.crc32(f"{body}/{view}".encode())
    sim, files = np.random.SeedSequence([seed, index, tag]).spawn(2)
    return np.random.default_rng(sim), np.random.default_rng(files)


def simulate_case(body: str, view: str, preset: str, seed: int, index: int, count: int = 1,
                  long_side: int = 768, task: str | None = None, artefact_rate: float = 0.0,
                  marker_rate: float = 0.0):
    """One simulated case (image, keypoints or masks, truth) and the generator for its files.

    `task`: with preset "mispositioned", the task / rule to fail instead of a random one.
    `artefact_rate`, `marker_rate`: wrist only, probability of a foreign body / lead marker."""
    if body not in BODIES or view not in BODIES[body]:
        raise ValueError(f"{body} has views {', '.join(BODIES.get(body, ()))}, not {view!r}")
    rng, file_rng = case_rngs(seed, index, body, view)
    if body == "wrist":
        from .presets import sample_wrist
        from .truth import wrist_measures
        from .wrist import simulate_wrist
        params, intent = sample_wrist(view, preset, rng, index, count, long_side, task,
                                      artefact_rate, marker_rate)
        case = simulate_wrist(params, rng)
        proj = case.projection
        case.truth["qc"] = wrist_measures(view, case.keypoints, proj.rows, proj.cols,
                                          proj.pixel_mm / case.truth["magnification"])
    else:
        from .lumbar import simulate_lumbar
        from .presets import sample_lumbar
        params, intent = sample_lumbar(view, preset, rng, index, count, long_side, task)
        case = simulate_lumbar(params, rng)
    case.truth.update(intent=intent, seed=seed, index=index)
    return case, file_rng


def _one(index, body, view, preset, seed, count, long_side, out, rates):
    case, file_rng = simulate_case(body, view, preset, seed, index, count, long_side, None, *rates)
    stem = f"{body}_{view.lower()}_{seed}_{index:06d}"
    write_case(case, out, stem, index, seed, file_rng)
    return stem


def generate(body: str, view: str, n: int, out, *, seed: int = 0, preset: str = "routine",
             jobs: int = 1, long_side: int = 768, progress: bool = False,
             artefact_rate: float = 0.0, marker_rate: float = 0.0) -> list[str]:
    """Write n cases into `out`; returns their file stems (also listed in out/manifest.json)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    work = partial(_one, body=body, view=view, preset=preset, seed=seed, count=n,
                   long_side=long_side, out=out, rates=(artefact_rate, marker_rate))
    if jobs > 1:
        with mp.get_context("fork").Pool(jobs) as pool:
            stems = list(_progress(pool.imap(work, range(n), chunksize=4), n, progress))
    else:
        stems = list(_progress(map(work, range(n)), n, progress))
    manifest = {"body": body, "view": view, "preset": preset, "seed": seed, "n": n,
                "long_side": long_side, "artefact_rate": artefact_rate,
                "marker_rate": marker_rate, "cases": stems}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return stems


def _progress(items, total, show):
    if not show:
        return items
    from tqdm import tqdm
    return tqdm(items, total=total, unit="image")
