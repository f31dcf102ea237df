"""RadiographQC's Python requirements inside Slicer: which are missing, and installing them without
touching what Slicer (or another extension) already installed. No Qt: the module logic mixes this
in, the widget asks the user before it calls `installDependencies`.

Nothing is installed when a module opens: Slicer imports the module files with only its bundled
packages (numpy, scipy, pillow, pydicom, packaging...), so the packages in requirements.txt are
imported inside the functions that use them, after this check.
"""
from __future__ import annotations

import importlib.metadata
import tempfile
from pathlib import Path

# Bundled with Slicer 5.10 and 5.12 (SuperBuild/External_python-pythonqt-requirements.cmake:
# packaging==25.0 / 26.2), so importing it here is safe.
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

REQUIREMENTS_FILE = Path(__file__).with_name("requirements.txt")


class DependencyError(RuntimeError):
    """A requirement is missing, or still missing after installing."""


def readRequirements(path=REQUIREMENTS_FILE) -> list[str]:
    """The requirement lines of a requirements file, as written (comments and blanks left out)."""
    lines = (line.split("#", 1)[0].strip() for line in Path(path).read_text("utf-8").splitlines())
    return [line for line in lines if line]


def isSatisfied(requirement: str) -> bool:
    """Whether the installed distribution satisfies `requirement` (True when its marker excludes
    this Python). Reads installed metadata only: nothing is imported."""
    parsed = Requirement(requirement)
    if parsed.marker is not None and not parsed.marker.evaluate():
        return True
    try:
        installed = importlib.metadata.version(parsed.name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return parsed.specifier.contains(installed, prereleases=True)


def installedPins(exclude=()) -> list[str]:
    """`name==version` of every installed distribution except `exclude` (names): a pip constraints
    file that stops pip from changing what Slicer bundles or other extensions installed."""
    skipped = {canonicalize_name(name) for name in exclude}
    pins = {}
    for dist in importlib.metadata.distributions():  # in sys.path order: the first one is imported
        name = dist.metadata["Name"]
        if name and canonicalize_name(name) not in skipped and _isVersion(dist.version):
            pins.setdefault(canonicalize_name(name), f"{name}=={dist.version}")
    return sorted(pins.values())


def _isVersion(text) -> bool:
    """pip refuses a constraints file with a version it cannot parse (old broken metadata)."""
    try:
        Version(text)
    except (InvalidVersion, TypeError):
        return False
    return True


class DependencyMixin:
    """Dependency check and install for a module logic (WristQCLogic, LumbarQCLogic).

    `pipInstall`: the installer, called with one list of pip arguments (the form both Slicer 5.10's
    and 5.12's slicer.util.pip_install take); None means slicer.util.pip_install. Tests set their
    own on the instance.
    """

    requirementsFile = REQUIREMENTS_FILE
    pipInstall = None

    def missingDependencies(self) -> list[str]:
        """The requirements of the file not installed at a satisfying version ([] when all are)."""
        return [r for r in readRequirements(self.requirementsFile) if not isSatisfied(r)]

    def installDependencies(self) -> list[str]:
        """pip-install exactly the missing requirements, every other installed package held at its
        version; return what was installed ([] when nothing was missing). Raises DependencyError
        when something is still missing afterwards."""
        missing = self.missingDependencies()
        if not missing:
            return []
        with tempfile.TemporaryDirectory() as folder:
            constraints = Path(folder) / "installed-constraints.txt"
            names = [Requirement(r).name for r in missing]
            constraints.write_text("\n".join(installedPins(exclude=names)) + "\n", "utf-8")
            self._installer()(["-c", str(constraints), *missing])
        importlib.invalidate_caches()
        still = self.missingDependencies()
        if still:
            raise DependencyError(f"still missing after installing: {', '.join(still)} "
                                  "(pip's output is in the Python console)")
        from radiographqc.dicom_io import refresh_decoders

        refresh_decoders()  # Slicer imported pydicom before the pylibjpeg decoders were installed
        return missing

    def _installer(self):
        if self.pipInstall is not None:
            return self.pipInstall
        import slicer.util

        return slicer.util.pip_install
