"""What the module widgets do with the text of a path field. No Qt: the widgets call these from
their slots, the tests call them directly.

Why not leave it to the fields: a ctkPathLineEdit (CTK dd4caeae, the commit Slicer 5.10 pins,
Libs/Core/ctkUtils.cpp `extensionToRegExp`) validates a name filter `*.json` as the regular
expression `.*\\.json?$`, so it accepts `.jso` and `.yam`, and `*.labels.json` as `.*\\.labels?$`,
which no label table matches; it emits `currentPathChanged` on every keystroke that validates, and
none at all when the field is cleared. So the widgets act on a settled field, and these functions
decide from the text alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROFILE_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True)
class ProfileChoice:
    """"default" (an empty field), "file" (an existing profile file) or "wait" (a partial path
    while the user types: nothing to do, and no error to show)."""

    kind: str
    path: Path | None = None


def profileChoice(text: str) -> ProfileChoice:
    text = (text or "").strip()
    if not text:
        return ProfileChoice("default")
    path = Path(text)
    if path.suffix.lower() in PROFILE_SUFFIXES and path.is_file():
        return ProfileChoice("file", path)
    return ProfileChoice("wait")


def requiredFolder(text: str, what: str) -> Path:
    """The folder a field names; an empty field is an error (never the application's working folder)."""
    text = (text or "").strip()
    if not text:
        raise ValueError(f"Choose the {what} folder first.")
    return Path(text).expanduser()


def optionalFile(text: str, suffix: str, what: str, allowFolder: bool = False) -> Path | None:
    """An optional input file (or, with allowFolder, a folder that holds it): None for an empty field;
    an error naming the file when it is missing or of the wrong kind (checked here because the
    field's own validation cannot be trusted)."""
    text = (text or "").strip()
    if not text:
        return None
    path = Path(text).expanduser()
    if allowFolder and path.is_dir():
        return path
    if not path.name.lower().endswith(suffix):
        raise ValueError(f"{path}: not a {what} (expected a file ending in {suffix})")
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    return path
