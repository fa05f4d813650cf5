"""What the Lua launcher asks Python: clips a command made, the track for one, which gated calls
the running Resolve has, and our metadata for a timeline Resolve exported.

Why: on the free Resolve 21.1 only Lua menu scripts run, and Lua cannot import stillmotion nor
read OTIO. The Lua launcher runs a ``stillmotion`` command on an exported timeline, then runs
``python -m stillmotion.resolve.lua_bridge`` with the interpreter the installer recorded to get
plain tab-separated lines. So Lua only makes the Resolve calls; no rule is written twice:

- ``clips``: the generated clips in a command's result timeline (``--new-since INPUT`` keeps
  only those whose media the input timeline did not show: the takes ``ingest`` switched in);
- ``track``: the track the one track rule (:mod:`stillmotion.timeline.tracks`, the same rule as
  the Python placer) picks over the live tracks the launcher describes;
- ``supports``: whether the running build has each gated call, from the one version table
  (:mod:`stillmotion.resolve.versions`), so Lua keeps no second table;
- ``annotate``: Resolve's OTIO export drops our metadata, so review, turnover and ingest would
  find no generated clip in it; each clip of an "AI Generated" track whose media file a ledger
  job conformed gets its metadata back from the ledger
  (:func:`stillmotion.resolve.handoff.tag_export`).

Usage (the answer goes to ``--out`` as UTF-8 lines; exit 1 with one sentence on stderr)::

    python -m stillmotion.resolve.lua_bridge clips RESULT.otio [--new-since INPUT.otio] --out FILE
    python -m stillmotion.resolve.lua_bridge track --out FILE VIEW...   # VIEW = "ELBS|name"
    python -m stillmotion.resolve.lua_bridge supports --out FILE VERSION PRODUCT CALL...
    python -m stillmotion.resolve.lua_bridge annotate EXPORTED.otio --out ANNOTATED.otio
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from stillmotion.errors import StillmotionError
from stillmotion.files import atomic_path
from stillmotion.resolve.versions import parse_version, supports


def clip_lines(result: Path, new_since: Path | None = None) -> list[str]:
    """One line per generated clip in ``result``: record frame (from the timeline start),
    placed frames, first source frame, media path, job id, take, take group, prompt, source
    clip. With ``new_since``, only clips whose media file that timeline does not show."""
    from stillmotion.timeline.generated import find_generated_clips
    from stillmotion.timeline.io import read_timeline
    from stillmotion.timeline.media import file_url_path, media_file_name

    shown = set()
    if new_since is not None:
        shown = {media_file_name(clip).lower() for clip in read_timeline(new_since).find_clips()}
    lines = []
    for found in find_generated_clips(read_timeline(result)):
        meta = found.metadata
        reference = found.clip.media_reference
        url = str(getattr(reference, "target_url", "") or "")
        if meta is None or not url or media_file_name(found.clip).lower() in shown:
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
    from stillmotion.timeline.tracks import TrackView, choose_track

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


def support_lines(version: str, product: str, calls: Sequence[str]) -> list[str]:
    """"1" or "0" per call ("Object.Method"), for the build ``GetVersion()`` reported (joined
    with dots) and the product name ``GetProductName()`` answered."""
    parsed, studio = parse_version(version), "studio" in product.lower()
    return ["1" if supports(call, parsed, studio=studio) else "0" for call in calls]


def annotate(exported: Path, out: Path) -> None:
    """Write ``exported`` to ``out`` with our metadata on the clips the ledger knows, by the
    same rule the Python dialog uses (:func:`stillmotion.resolve.handoff.tag_export`), so a
    clip placed by either front end is found."""
    from stillmotion.resolve.handoff import tag_export
    from stillmotion.settings import load_settings

    tag_export(exported, out, load_settings(), overwrite=True)


def _flat(text: str) -> str:
    return " ".join(text.split())


USAGE = ("stillmotion: the Lua bridge takes 'clips RESULT [--new-since INPUT]', 'track VIEW...', "
         "'supports VERSION PRODUCT CALL...' or 'annotate EXPORTED', each with '--out FILE'; "
         "reinstall the Resolve scripts.")


def _answer(command: str, rest: list[str], out: Path) -> list[str] | None:
    if command == "clips":
        since = None
        if "--new-since" in rest:
            at = rest.index("--new-since")
            since = Path(rest[at + 1])
            rest = rest[:at] + rest[at + 2:]
        return clip_lines(Path(rest[0]), since)
    if command == "track":
        return [track_line(rest)]
    if command == "supports":
        return support_lines(rest[0], rest[1], rest[2:])
    annotate(Path(rest[0]), out)
    return None  # the answer is the timeline itself


def main(argv: Sequence[str]) -> int:
    commands = ("clips", "track", "supports", "annotate")
    if len(argv) < 3 or argv[0] not in commands or "--out" not in argv:
        print(USAGE, file=sys.stderr)
        return 2
    args = list(argv[1:])
    at = args.index("--out")
    out = Path(args[at + 1])
    rest = args[:at] + args[at + 2:]
    try:
        lines = _answer(argv[0], rest, out)
    except IndexError:  # an argument is missing
        print(USAGE, file=sys.stderr)
        return 2
    except (StillmotionError, ValueError) as exc:
        text = exc.message if isinstance(exc, StillmotionError) else str(exc)
        print(f"stillmotion: {text}", file=sys.stderr)
        return 1
    if lines is not None:
        with atomic_path(out) as temp:
            temp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
