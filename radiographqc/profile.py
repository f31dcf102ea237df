"""Criteria profiles: every threshold, band and point value of a QC module, as data.

The default of a module is ``radiographqc/profiles/<module>-default.json``. A department profile
(JSON, or YAML when PyYAML is installed) may override only part of it: it is deep-merged over the
default, so a file holding ``{"name": "our-wrist", "layout": {"AP": {"AP2": {"max": 5}}}}`` changes
just that value. Objects merge key by key; lists (bands, ratings) replace the default's list whole.
Keys the default does not have, and values of another type than the default's, are errors that
name the file and the key. A department file that sets no "name" is named after its file; its
"version" is the default's unless it sets one. The report records the profile's name and version.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from .errors import InputError

PROFILE_DIR = Path(__file__).parent / "profiles"


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _same_kind(value, default) -> bool:
    if default is None:  # e.g. an unbounded band edge or no target: a number may take its place
        return value is None or _number(value)
    if _number(default):
        return _number(value)
    if isinstance(default, list):  # lists replace the default whole; their content is checked per module
        return isinstance(value, list)
    return type(value) is type(default)


def _check(override, default, path, key: str) -> None:
    """Raise InputError when `override` does not fit the structure of `default` (recursively)."""
    if isinstance(default, dict):
        if not isinstance(override, dict):
            raise InputError(path, f"{key or 'the profile'} must be an object")
        for name, value in override.items():
            sub = f"{key}.{name}" if key else str(name)
            if name not in default:
                raise InputError(path, f"unknown key {sub!r}")
            _check(value, default[name], path, sub)
    elif not _same_kind(override, default):
        raise InputError(path, f"{key!r} must be of type {type(default).__name__} "
                               f"like the default, got {override!r}")


def _merge(default, override):
    if isinstance(default, dict) and isinstance(override, dict):
        merged = dict(default)
        for name, value in override.items():
            merged[name] = _merge(default[name], value)
        return merged
    return copy.deepcopy(override)


def _parse(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read the profile: {exc}") from exc
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise InputError(path, "YAML profiles need PyYAML (pip install pyyaml); or write the profile "
                                   "as JSON") from None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(path, f"invalid YAML: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"invalid JSON: {exc}") from exc


def default_profile_path(module: str) -> Path:
    return PROFILE_DIR / f"{module}-default.json"


def load_profile(module: str, path=None) -> dict:
    """The criteria profile of `module` ("wrist", "lumbar"): the default, or a department file merged over it.

    Raises InputError naming the file and the offending key for an unknown key, a value of the wrong
    type, or (wrist) inconsistent bands, ratings or points.
    """
    default_path = default_profile_path(module)
    if not default_path.is_file():
        raise InputError(default_path, f"no default profile for module {module!r}")
    profile = _parse(default_path)
    if path is not None:
        path = Path(path)
        override = _parse(path)
        _check(override, profile, path, "")
        profile = _merge(profile, override)
        if "name" not in override:
            profile["name"] = path.stem
    _check_semantics(module, profile, path or default_path)
    return profile


def _problem_checker(module: str):
    """Each module's rules know what their bands and ranges must satisfy."""
    if module == "wrist":
        from .wrist.layout import profile_problems
    elif module == "lumbar":
        from .lumbar.rules import profile_problems
    else:
        return None
    return profile_problems


def _check_semantics(module: str, profile: dict, path) -> None:
    checker = _problem_checker(module)
    problems = checker(profile) if checker else []
    if problems:
        key, reason = problems[0]
        raise InputError(path, f"{key!r}: {reason}")
