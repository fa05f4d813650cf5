"""DaVinci Resolve front end: the only code that touches Resolve objects.

``generate_at_playhead(resolve, prompt=...)`` takes the frame under the playhead, runs the shared
pipeline and places the conformed clip on an "AI Generated" track (see :mod:`.workflow`);
``generate_for_selection(resolve, prompt=...)`` does it for every selected clip (Resolve 21.0.4+)
or marker, concurrently (see :mod:`.selection`).
"""

from __future__ import annotations

from stillmotion.resolve.selection import PlacedClips, ShotFailure, generate_for_selection
from stillmotion.resolve.workflow import PlacedClip, generate_at_playhead

__all__ = ["PlacedClip", "PlacedClips", "ShotFailure", "generate_at_playhead",
           "generate_for_selection"]
