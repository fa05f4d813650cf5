"""The filter-graph join: every piece trimmed, conformed and joined in ONE ffmpeg graph.

Why one graph: per piece trim -> the conform chain of :mod:`stillmotion.media.conform` -> concat
(or xfade / acrossfade for crossfades) re-encodes once, whatever the inputs are; it is the join
that always works, used whenever a stream copy is refused or comes out inexact.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from stillmotion.media.conform import (
    COLOUR_TAGS,
    ConformTarget,
    audio_chain,
    final_audio_filters,
    output_samples,
    silent_audio,
    video_chain,
)
from stillmotion.media.ffmpeg import seconds_arg
from stillmotion.media.seek import (
    SOUND_LEAD,
    checked_seek,
    cut_filters,
    frame_time,
    input_args,
    sound_cut,
)
from stillmotion.media.segments import Part
from stillmotion.timecode import format_rate


def build_graph(
    parts: Sequence[Part], target: ConformTarget, fade: int
) -> tuple[list[str], str]:
    """ffmpeg input arguments and one filter graph ending in ``[v]`` and ``[a]``.

    Each clip is opened at a seek from which its first frame decodes and cut by
    :mod:`stillmotion.media.seek`'s rule (from that frame's presentation time in the file's own
    clock, then its frame count), so the cut is frame-exact in every container without decoding
    from the start; its sound is cut to the same span of the same clock.
    """
    inputs: list[str] = []
    lines: list[str] = []
    tb = 1 / target.rate
    for k, part in enumerate(parts):
        settb = [f"settb={format_rate(tb)}"] if fade else []
        if part.info is None:
            video = [f"color=c=black:s={target.size[0]}x{target.size[1]}"
                     f":r={format_rate(target.rate)}", f"trim=end_frame={part.frames}",
                     "setsar=1", f"format={target.preset.pix_fmt}", f"setparams={COLOUR_TAGS}"]
            lines.append(f"{','.join([*video, *settb])}[v{k}]")
            lines.append(f"{silent_audio(part.samples)}[a{k}]")
            continue
        index = sum(1 for arg in inputs if arg == "-i")
        facts = part.info.require_video()
        inputs += input_args(part.info, checked_seek(part.info, part.first, lead=SOUND_LEAD))
        chain = [*cut_filters(facts, part.first, part.count), *video_chain(facts, target),
                 *settb]
        lines.append(f"[{index}:v:0]{','.join(chain)}[v{k}]")
        if part.info.audio is None:
            lines.append(f"{silent_audio(part.samples)}[a{k}]")
        else:
            cut = sound_cut(frame_time(facts, part.first), Fraction(part.count) / facts.rate)
            audio = [*cut, *audio_chain(facts.rate, target, part.samples)]
            lines.append(f"[{index}:a:0]{','.join(audio)}[a{k}]")
    lines += _join_lines(parts, target, fade)
    return inputs, ";\n".join(lines) + "\n"


def _join_lines(parts: Sequence[Part], target: ConformTarget, fade: int) -> list[str]:
    final = ",".join(final_audio_filters(target))
    count = len(parts)
    if not fade:
        pads = "".join(f"[v{k}][a{k}]" for k in range(count))
        return [f"{pads}concat=n={count}:v=1:a=1[v][joined]", f"[joined]{final}[a]"]
    lines: list[str] = []
    duration = seconds_arg(Fraction(fade) / target.rate)
    fade_samples = output_samples(fade, target)
    elapsed = 0
    video, audio = "[v0]", "[a0]"
    for k in range(1, count):
        elapsed += parts[k - 1].frames - fade
        offset = seconds_arg(Fraction(elapsed) / target.rate)
        last = k == count - 1
        vout = "[v]" if last else f"[x{k}]"
        aout = "[faded]" if last else f"[y{k}]"
        lines.append(f"{video}[v{k}]xfade=transition=fade:duration={duration}"
                     f":offset={offset}{vout}")
        lines.append(f"{audio}[a{k}]acrossfade=ns={fade_samples}:c1=tri:c2=tri{aout}")
        video, audio = vout, aout
    lines.append(f"[faded]{final}[a]")
    return lines
