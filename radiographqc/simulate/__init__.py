"""Radiograph simulator: analytic ray casting through 3D wrist / lumbar anatomy with exact truth.

Entry points: `generate.generate(...)` (files), `generate.simulate_case(...)` (in memory),
`wrist.simulate_wrist(WristParams, rng)`, `lumbar.simulate_lumbar(LumbarParams, rng)`;
command line `python -m radiographqc.simulate` (cli.add_simulate_parser for `radiographqc`).
"""
