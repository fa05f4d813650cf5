"""Which Resolve scripting calls exist from which Resolve version and edition: one table.

Why a table: Resolve's objects answer True to ``hasattr`` for any name (an unknown call is a
proxy that fails or returns None when called), so a feature cannot be detected by looking for
it. What a build offers is known from Blackmagic's scripting README of each release, so the
front end asks :func:`supports` with the version ``GetVersion()`` reports and the product name,
and never probes attributes. Calls the front end always needs (present since Resolve 16) are not
listed; only the ones a supported build may lack.
"""

from __future__ import annotations

from dataclasses import dataclass

Version = tuple[int, int, int]
UNKNOWN: Version = (0, 0, 0)  # a build that does not say: assume none of the newer calls


@dataclass(frozen=True)
class Since:
    """The first release with the call, and whether the free edition offers it."""

    version: Version
    studio_only: bool = False


# From the scripting READMEs: 18.0 added the track enable/lock setters; 21.0.4 the selection
# reader, the background-task switch and MediaPoolItem.GetTimeline.
CALLS: dict[str, Since] = {
    "Timeline.SetTrackEnable": Since((18, 0, 0)),
    "Timeline.SetTrackLock": Since((18, 0, 0)),
    "Timeline.GetSelectedClips": Since((21, 0, 4)),
    "Resolve.DisableBackgroundTasksForCurrentResolveSession": Since((21, 0, 4)),
    "MediaPoolItem.GetTimeline": Since((21, 0, 4)),
}


def parse_version(reported: object) -> Version:
    """``GetVersion()``'s ``[major, minor, patch, build, suffix]`` or ``GetVersionString()``'s
    "21.0.4.5" as (major, minor, patch); :data:`UNKNOWN` when neither reads as a version."""
    if isinstance(reported, str):
        parts: list[object] = list(reported.strip().split("."))
    elif isinstance(reported, (list, tuple)):
        parts = list(reported)
    elif isinstance(reported, dict):  # Resolve's Lua bridge hands lists over as 1-based dicts
        parts = [reported[key] for key in sorted(reported) if isinstance(key, int)]
    else:
        return UNKNOWN
    numbers = []
    for part in parts[:3]:
        text = str(part).strip()
        digits = text[: len(text) - len(text.lstrip("0123456789"))] if text else ""
        if not digits:
            break
        numbers.append(int(digits))
    if not numbers:
        return UNKNOWN
    major, minor, patch = [*numbers, 0, 0][:3]
    return major, minor, patch


def supports(call: str, version: Version, *, studio: bool) -> bool:
    """Whether ``call`` ("Object.Method") exists on this build and edition.

    A call not in the table is one every supported build has.
    """
    since = CALLS.get(call)
    if since is None:
        return True
    return version >= since.version and (studio or not since.studio_only)


def version_text(version: Version) -> str:
    return "an unknown version" if version == UNKNOWN else ".".join(map(str, version))
