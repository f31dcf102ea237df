"""RadiographQC: automatic quality control of plain radiographs with explicit, tunable rules."""

__version__ = "0.1.0"
