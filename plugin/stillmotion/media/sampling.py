"""The mixed-rate sampling rule: which source frame a frame at another rate shows, in one place.

Why here, at the bottom of the media layer: it is what ffmpeg's ``fps`` filter does, so the
renderer (:mod:`stillmotion.media.assemble`, which builds the ``fps`` graphs) and the timeline
readers above it (``timeline/locate.py`` for the still that is sent, ``timeline/render.py`` for
the frames a render needs; extend and fill-gap go through locate) all ask this one function, and
a still grabbed at a record frame is the frame the rendered master shows there.
"""

from __future__ import annotations

import math
from fractions import Fraction


def shown_frame(slot: int, step: Fraction) -> int:
    """The source frame, counted from the clip's first, that frame ``slot`` of the clip shows.

    ``step`` is source frames per output (record) frame: source rate x speed / output rate, in
    exact fractions (1 at normal speed when the rates share a timecode base and are counted
    frame for frame; 0 for a freeze frame, which always shows frame 0). ``slot`` counts output
    frames from the clip's first (negative: before it, for a dissolve's pre-roll).

    The rule is ffmpeg's ``fps`` filter with its default rounding (``round=near``): source frame
    ``i`` is stamped ``i / source rate`` and lands on output slot ``round_half_up(i / step)``
    (halves away from zero); each slot shows the latest frame landed at or before it. So slot
    ``k`` shows ``max{i : round_half_up(i / step) <= k}``, which is
    ``ceil((2k + 1) * step / 2) - 1``: 30 fps on 23.976 (step 1001/800) shows 0, 1, 3, 4, 5, 6,
    8 …; 25 on 24 skips frame 12 of every 25; 2x at the same rate shows 0, 2, 4 …
    ``tests/test_sampling_rule.py`` checks this against frames rendered by the real ffmpeg.
    """
    if step == 0:
        return 0
    return math.ceil(Fraction(2 * slot + 1) * step / 2) - 1
