"""Frame-coded camera and broadcast media in every container the bundled ffmpeg writes.

Why: exact frame grabs depend on the container (MPEG-TS/PS start on the PCR clock and have no
index, MXF counts time in whole frames, MP4/MOV carry edit lists) and on the coding (B-frames
reorder pictures, open GOPs reference the previous GOP). Each fixture burns the frame index in
(stillmotion.media.synth's code band) and is small: 320x180, a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from stillmotion.files import atomic_path
from stillmotion.media.ffmpeg import filter_arg, media_arg, run, seconds_arg
from stillmotion.media.synth import code_band_filters
from stillmotion.timecode import format_rate

SIZE = (320, 180)
# The sound: a rising tone (200 Hz + 400 Hz per second), so every stretch of it is unlike every
# other and a cut's sound can be placed in the source to the sample (a steady tone repeats).
CHIRP = "0.5*sin(2*PI*(200+200*t)*t)"
_H264_B = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
           "-bf", "3", "-g", "12", "-keyint_min", "12"]
_H264_NO_B = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
              "-bf", "0", "-g", "12", "-keyint_min", "12"]
# Long-GOP MPEG-2 as broadcast and XDCAM write it: open GOPs (the leading B-frames of a GOP
# reference the previous one), two B-frames, interlace-aware coding.
_MPEG2_420 = ["-c:v", "mpeg2video", "-pix_fmt", "yuv420p", "-q:v", "4", "-g", "12", "-bf", "2"]
_XDCAM_422 = ["-c:v", "mpeg2video", "-pix_fmt", "yuv422p", "-q:v", "4", "-g", "15", "-bf", "2",
              "-flags", "+ilme+ildct"]
_DNXHR = ["-c:v", "dnxhd", "-profile:v", "dnxhr_lb", "-pix_fmt", "yuv422p"]


@dataclass(frozen=True)
class ContainerClip:
    """One fixture: file name, rate, frame count, codec and muxer options, audio codec."""

    file: str
    rate: Fraction
    frames: int
    video: tuple[str, ...]
    audio: tuple[str, ...] = ()
    muxer: tuple[str, ...] = ()
    b_frames: bool = False


CONTAINER_CLIPS: dict[str, ContainerClip] = {
    # AVCHD: H.264 with B-frames in a 192-byte-packet transport stream, AC-3 audio.
    "avchd_mts": ContainerClip("avchd.mts", Fraction(30000, 1001), 64, tuple(_H264_B),
                               ("-c:a", "ac3", "-b:a", "192k"),
                               ("-f", "mpegts", "-mpegts_m2ts_mode", "1"), b_frames=True),
    "h264_ts": ContainerClip("broadcast.ts", Fraction(25), 64, tuple(_H264_NO_B),
                             ("-c:a", "mp2", "-b:a", "192k"), ("-f", "mpegts")),
    "mpeg2_ts": ContainerClip("mpeg2.ts", Fraction(25), 64, tuple(_MPEG2_420),
                              ("-c:a", "mp2", "-b:a", "192k"), ("-f", "mpegts"), b_frames=True),
    "mpeg2_mpg": ContainerClip("dvd.mpg", Fraction(25), 64, tuple(_MPEG2_420),
                               ("-c:a", "mp2", "-b:a", "192k"), ("-f", "mpeg"), b_frames=True),
    # XDCAM-style: 4:2:2 long-GOP MPEG-2 at 29.97 with PCM, long enough for frame 226.
    "xdcam_mxf": ContainerClip("xdcam.mxf", Fraction(30000, 1001), 232, tuple(_XDCAM_422),
                               ("-c:a", "pcm_s24le"), ("-f", "mxf", "-timecode", "10:00:00;00"),
                               b_frames=True),
    "dnxhr_mxf": ContainerClip("dnxhr.mxf", Fraction(24000, 1001), 64, tuple(_DNXHR),
                               ("-c:a", "pcm_s24le"), ("-f", "mxf")),
    # Broadcast long GOP: one keyframe in ten seconds, so every seek lands after it.
    "long_gop_ts": ContainerClip("long gop.ts", Fraction(25), 250,
                                 tuple([*_H264_B[:-4], "-g", "300", "-keyint_min", "300",
                                        "-sc_threshold", "0"]),
                                 ("-c:a", "mp2", "-b:a", "192k"), ("-f", "mpegts"),
                                 b_frames=True),
    "h264_mkv": ContainerClip("camera.mkv", Fraction(25), 64, tuple(_H264_B),
                              ("-c:a", "aac"), b_frames=True),
    "h264_mp4": ContainerClip("phone.mp4", Fraction(30), 64, tuple(_H264_B), ("-c:a", "aac"),
                              b_frames=True),
    "h264_mov": ContainerClip("edit.mov", Fraction(24000, 1001), 64, tuple(_H264_NO_B),
                              ("-c:a", "pcm_s16le"), ("-timecode", "01:00:00:00")),
}


def render_container_clip(folder: Path, name: str) -> Path:
    """Render the fixture ``name`` into ``folder`` with the bundled ffmpeg; returns its path."""
    spec = CONTAINER_CLIPS[name]
    width, height = SIZE
    seconds = Fraction(spec.frames) / spec.rate
    args = [
        "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={format_rate(spec.rate)}",
        "-f", "lavfi", "-i", f"aevalsrc={filter_arg(CHIRP)}:s=48000",
        "-vf", ",".join(code_band_filters(width, height)), "-frames:v", str(spec.frames),
        *spec.video, *spec.audio, "-t", seconds_arg(seconds), *spec.muxer,
    ]
    path = folder / spec.file
    with atomic_path(path) as temp:
        run([*args, "-y", media_arg(temp)], output=path, what="container fixture render")
    return path


def trim_with_edit_list(source: Path, output: Path, seconds: Fraction) -> Path:
    """Stream-copy ``source`` from ``seconds`` into a MOV: the cut falls between keyframes, so
    the file keeps the GOP before it and an edit list hides the leading pictures (what an NLE's
    smart-render or a camera's trimmed copy writes)."""
    run(["-ss", seconds_arg(seconds), "-i", media_arg(source), "-map", "0:v:0", "-c", "copy",
         "-y", media_arg(output)], output=output, what="edit-list fixture")
    return output
