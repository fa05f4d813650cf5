"""DaVinci Resolve front end: the only code that touches Resolve objects.

``generate_at_playhead(resolve, prompt=...)`` takes the frame under the playhead, runs the shared
pipeline and places the conformed clip on an "AI Generated" track (see :mod:`.workflow`).
"""

from __future__ import annotations

from stillmotion.resolve.workflow import PlacedClip, generate_at_playhead

__all__ = ["PlacedClip", "generate_at_playhead"]
