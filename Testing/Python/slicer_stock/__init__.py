"""Stock 3D Slicer for the tests: Slicer's own Python code of v5.10.0 (./slicer, vendored
unmodified, see README.md), the Qt stand-ins it needs (qtstandins.py), the harness that loads module
files as Slicer does (harness.py), and the names Slicer provides (names.json, made by make_stock_data.py)."""
