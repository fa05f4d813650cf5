"""DaVinci Resolve front end: the only code that touches Resolve objects.

``generate_at_playhead(resolve, prompt=...)`` takes the frame under the playhead, runs the shared
pipeline and places the conformed clip on an "AI Generated" track (see :mod:`.workflow`);
``generate_for_selection(resolve, prompt=...)`` does it for every selected clip (Resolve 21.0.4+)
or marker, concurrently (see :mod:`.selection`).

The re-exports load on first use (PEP 562): the Lua launcher runs
``python -m stillmotion.resolve.lua_bridge`` several times per menu action, and the bridge needs
none of the job pipeline these names bring in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stillmotion import lazy_exports

if TYPE_CHECKING:
    from stillmotion.resolve.selection import PlacedClips, ShotFailure, generate_for_selection
    from stillmotion.resolve.workflow import PlacedClip, generate_at_playhead

_HOMES = {
    "PlacedClip": "stillmotion.resolve.workflow",
    "PlacedClips": "stillmotion.resolve.selection",
    "ShotFailure": "stillmotion.resolve.selection",
    "generate_at_playhead": "stillmotion.resolve.workflow",
    "generate_for_selection": "stillmotion.resolve.selection",
}
"""Where each public name lives (its module is imported when the name is first used)."""

__getattr__ = lazy_exports(__name__, _HOMES)

__all__ = ["PlacedClip", "PlacedClips", "ShotFailure", "generate_at_playhead",
           "generate_for_selection"]
