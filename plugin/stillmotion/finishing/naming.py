"""Turnover names: ``{shot}_{task}_v{version:03d}`` both ways, rendered and recognised.

Why one module: the turnover writes folders and files under a name pattern and ingest must
recognise the artist's returned versions by the same pattern, so the one pattern is turned into
text (``render``) and into a regular expression (``parse``) here.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from stillmotion.errors import ConfigError

DEFAULT_PATTERN = "{shot}_{task}_v{version:03d}"
DEFAULT_TASK = "comp"
FIELDS = ("shot", "task", "version")
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_WORD = "[A-Za-z0-9-]"  # what a shot or task may hold: '_' and '.' separate the fields


@dataclass(frozen=True)
class VersionName:
    """What a name says: which shot, which task, which version."""

    shot: str
    task: str
    version: int


def _parts(pattern: str) -> list[tuple[str, str | None, str | None]]:
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise ConfigError(f"The name pattern '{pattern}' is not valid ({exc}); write it like "
                          f"{DEFAULT_PATTERN}.") from exc
    names = [name for _, name, _, _ in parsed if name is not None]
    unknown = [n for n in names if n not in FIELDS]
    if unknown or "shot" not in names or "version" not in names:
        raise ConfigError(f"The name pattern '{pattern}' must use {{shot}} and {{version}} (and "
                          f"may use {{task}}), nothing else; e.g. {DEFAULT_PATTERN}.")
    return [(literal, name, spec) for literal, name, spec, _ in parsed]


def check_pattern(pattern: str) -> str:
    """``pattern`` if it renders safe file names; ConfigError otherwise."""
    _parts(pattern)
    sample = render(pattern, VersionName("sh010", DEFAULT_TASK, 1), checked=True)
    if _SAFE.search(sample) or sample.startswith("."):
        raise ConfigError(f"The name pattern '{pattern}' makes '{sample}', which is not a safe "
                          "file name; use letters, digits, '_', '-' and '.'.")
    return pattern


def render(pattern: str, name: VersionName, *, checked: bool = False) -> str:
    """The pattern filled in for ``name``."""
    if not checked:
        check_pattern(pattern)
    if not re.fullmatch(f"{_WORD}+", name.task) or name.version < 0:
        raise ConfigError(f"The task '{name.task}' and version {name.version} must be letters, "
                          "digits or '-', and 0 or more, so names can be read back.")
    return pattern.format(shot=name.shot, task=name.task, version=name.version)


def _regex(pattern: str) -> re.Pattern[str]:
    out = []
    for literal, field_name, _spec in _parts(pattern):
        out.append(re.escape(literal))
        if field_name == "version":
            out.append(r"(?P<version>\d+)")
        elif field_name is not None:
            out.append(rf"(?P<{field_name}>{_WORD}+?)")
    return re.compile("^" + "".join(out) + "$")


def parse(pattern: str, text: str) -> VersionName | None:
    """The shot, task and version in ``text`` (a file or folder name without its suffix or
    frame number), or None when it does not follow ``pattern``."""
    match = _regex(pattern).match(text)
    if match is None:
        return None
    found = match.groupdict()
    return VersionName(found["shot"], found.get("task") or DEFAULT_TASK, int(found["version"]))
