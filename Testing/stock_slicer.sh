#!/usr/bin/env bash
# The second test stage: the Slicer modules loaded, set up and asked for their dependencies in a
# Python that has only what stock 3D Slicer 5.10.0 bundles (Python 3.12 and the pins of
# Testing/Python/slicer_stock/stock-requirements.txt), plus slicer-core for MRML and pytest.
# Nothing of the project is installed: the module files find it as in Slicer. The environment
# (build/stock-slicer-venv) is rebuilt when this file or the pins change.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=build/stock-slicer-venv   # /build/ is git-ignored
PINS=Testing/Python/slicer_stock/stock-requirements.txt
# slicer-core 5.12.4.0 is the slicer-core of a released Slicer; its vtk is installed without its
# matplotlib dependency, which Slicer does not bundle. pytest's own dependencies are held by the pins.
SLICER_CORE="slicer-core==5.12.4.0 vtk==9.6.0"
TOOLS="pytest==9.0.2"

python312() {
    local candidate
    for candidate in python3.12 "$(pyenv root 2>/dev/null)"/versions/3.12*/bin/python3.12; do
        if "$candidate" --version >/dev/null 2>&1; then
            echo "$candidate"
            return
        fi
    done
    echo "stock_slicer.sh: no Python 3.12 (stock Slicer 5.10's); using python3.11" >&2
    echo python3.11
}

stamp=$(cat "$0" "$PINS" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$VENV/stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$VENV"
    "$(python312)" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --only-binary :all: -r "$PINS" -c "$PINS" $TOOLS
    "$VENV/bin/python" -m pip install -q --only-binary :all: --no-deps $SLICER_CORE
    echo "$stamp" > "$VENV/stamp"
fi
RADIOGRAPHQC_STOCK_SLICER=1 "$VENV/bin/python" -m pytest -p no:cacheprovider -o pythonpath=Testing/Python -m stock_slicer \
    Testing/Python/test_slicer_stock.py Testing/Python/test_slicer_upstream.py
