"""What the Lua launcher asks Python: which clips a command made, and which track one goes on.

Why: on the free Resolve 21.1 only Lua menu scripts run, and Lua cannot import stillmotion nor
read OTIO. The Lua launcher runs a ``stillmotion`` command on an exported timeline, then runs
``python -m stillmotion.resolve.lua_bridge`` with the interpreter the installer recorded to get
plain tab-separated lines: the generated clips the command placed in its result timeline
(``clips``), and, for each clip it places in the live timeline, the track the one track rule
(:mod:`stillmotion.timeline.tracks`, the same rule as the Python placer) picks over the live
tracks it describes (``track``). So Lua only makes the Resolve calls; no rule is written twice.

Usage (the answer goes to ``--out`` as UTF-8 lines; exit 1 with one sentence on stderr)::

    python -m stillmotion.resolve.lua_bridge clips RESULT.otio --out FILE
    python -m stillmotion.resolve.lua_bridge track --out FILE VIEW...   # VIEW = "ELBS|name"
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from stillmotion.errors import StillmotionError
from stillmotion.files import atomic_path
from stillmotion.timeline.generated import find_generated_clips
from stillmotion.timeline.io import read_timeline
from stillmotion.timeline.media import file_url_path
from stillmotion.timeline.tracks import TrackView, choose_track


def clip_lines(result: Path) -> list[str]:
    """One line per generated clip in ``result``: record frame (from the timeline start),
    placed frames, first source frame, media path, job id, take, take group, prompt, source
    clip."""
    lines = []
    for found in find_generated_clips(read_timeline(result)):
        meta = found.metadata
        reference = found.clip.media_reference
        url = str(getattr(reference, "target_url", "") or "")
        if meta is None or not url:
            continue
        path = file_url_path(url) or Path(url)
        available = getattr(reference, "available_range", None)
        first = found.clip.source_range.start_time
        if available is not None:
            first = first - available.start_time
        fields = (found.record_start_frame, found.duration_frames,
                  round(first.rescaled_to(found.clip.source_range.duration.rate).value),
                  path, meta.job_id, meta.take, meta.take_group,
                  meta.prompt, meta.source_clip)
        lines.append("\t".join(_flat(str(value)) for value in fields))
    return lines


def track_line(views: Sequence[str]) -> str:
    """The track rule's answer for live tracks described bottom first as "ELBS|name" (flags
    enabled, locked, busy over the span, shows over the span; 1 or 0): "reuse<TAB>index<TAB>
    name" (1-based) or "new<TAB>name" (add it on top, as the Python placer does)."""
    parsed = []
    for view in views:
        flags, _, name = view.partition("|")
        if len(flags) != 4 or set(flags) - {"0", "1"}:
            raise ValueError(f"bad track view '{view}'")
        enabled, locked, busy, shows = (flag == "1" for flag in flags)
        parsed.append(TrackView(name=name, enabled=enabled, locked=locked, busy=busy,
                                shows=shows))
    choice = choose_track(parsed)
    if choice.index is not None:
        return f"reuse\t{choice.index + 1}\t{parsed[choice.index].name}"
    return f"new\t{choice.new_name}"


def _flat(text: str) -> str:
    return " ".join(text.split())


def main(argv: Sequence[str]) -> int:
    if len(argv) < 3 or argv[0] not in ("clips", "track") or "--out" not in argv:
        print("stillmotion: the Lua bridge takes 'clips RESULT --out FILE' or 'track --out "
              "FILE VIEW...'; reinstall the Resolve scripts.", file=sys.stderr)
        return 2
    args = list(argv[1:])
    at = args.index("--out")
    out = Path(args[at + 1])
    rest = args[:at] + args[at + 2:]
    try:
        lines = clip_lines(Path(rest[0])) if argv[0] == "clips" else [track_line(rest)]
    except (StillmotionError, ValueError, IndexError) as exc:
        text = exc.message if isinstance(exc, StillmotionError) else str(exc)
        print(f"stillmotion: {text}", file=sys.stderr)
        return 1
    with atomic_path(out) as temp:
        temp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
