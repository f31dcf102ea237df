"""Nothing here is collected by pytest: ./slicer and ./slicer_tests are Slicer's code and tests,
imported only under the stand-ins (Testing/Python/test_slicer_upstream.py runs the tests)."""
collect_ignore = ["slicer", "slicer_tests"]
