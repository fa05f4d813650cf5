"""The finishing presets (codec, container, pixel format) a conform, stitch or render writes.

Why apart from :mod:`stillmotion.media.conform`: the command line builds its ``--preset`` help
and defaults from this table on every start, and conform itself pulls in ffmpeg and PyAV; this
module needs neither, so ``stillmotion --help`` does not load them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stillmotion.errors import ConfigError
from stillmotion.timecode import format_size

DEFAULT_PRESET = "resolve-dnxhr-hq"
AUDIO_RATE = 48000


@dataclass(frozen=True)
class Preset:
    """A finishing format: encoder arguments plus the facts a probe of its output must show.

    ``codec``/``profile`` are the names a probe of the output reports; they decide whether
    existing masters already are this preset (and may be joined by stream copy, which is only
    exact for ``intra_only`` codecs). ``extension`` is the usual container suffix and
    ``extensions`` every suffix accepted.
    """

    name: str
    extension: str
    video_args: tuple[str, ...]
    audio_args: tuple[str, ...]
    pix_fmt: str
    intra_only: bool
    codec: str
    profile: str | None
    audio_codec: str
    description: str
    extensions: tuple[str, ...] = ()
    muxer_args: tuple[str, ...] = ()
    min_size: tuple[int, int] = (16, 16)

    @property
    def suffixes(self) -> tuple[str, ...]:
        """Every output suffix this preset writes (the usual one first)."""
        return (self.extension, *[e for e in self.extensions if e != self.extension])

    def check_output_name(self, output: Path) -> None:
        """ConfigError unless ``output`` ends in a suffix this preset's container takes."""
        if Path(output).suffix.lower() not in self.suffixes:
            names = " or ".join(self.suffixes)
            raise ConfigError(
                f"Preset {self.name} writes {names} files; name the output "
                f"{Path(output).stem}{self.extension} or choose another preset."
            )

    def check_size(self, size: tuple[int, int]) -> None:
        """ConfigError for a size the encoder refuses (DNxHR needs at least 256x120)."""
        width, height = size
        if width < self.min_size[0] or height < self.min_size[1]:
            raise ConfigError(
                f"Preset {self.name} needs at least {format_size(self.min_size)}, not "
                f"{format_size(size)}; give a larger --size or choose h264-web."
            )


_PCM = ("-c:a", "pcm_s24le", "-ar", str(AUDIO_RATE), "-ac", "2")
_DNXHR_MIN = (256, 120)

PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            name="resolve-dnxhr-hq",
            extension=".mov",
            video_args=("-c:v", "dnxhd", "-profile:v", "dnxhr_hq"),
            audio_args=_PCM,
            pix_fmt="yuv422p",
            intra_only=True,
            codec="dnxhd",
            profile="DNXHR HQ",
            audio_codec="pcm_s24le",
            description="DNxHR HQ 8-bit 4:2:2 + PCM 24-bit 48 kHz in .mov (Resolve on any OS)",
            min_size=_DNXHR_MIN,
        ),
        Preset(
            name="resolve-dnxhr-hqx",
            extension=".mov",
            video_args=("-c:v", "dnxhd", "-profile:v", "dnxhr_hqx"),
            audio_args=_PCM,
            pix_fmt="yuv422p10le",
            intra_only=True,
            codec="dnxhd",
            profile="DNXHR HQX",
            audio_codec="pcm_s24le",
            description="DNxHR HQX 10-bit 4:2:2 + PCM 24-bit 48 kHz in .mov",
            min_size=_DNXHR_MIN,
        ),
        Preset(
            name="prores-hq",
            extension=".mov",
            video_args=("-c:v", "prores_ks", "-profile:v", "3", "-vendor", "apl0"),
            audio_args=_PCM,
            pix_fmt="yuv422p10le",
            intra_only=True,
            codec="prores",
            profile="HQ",
            audio_codec="pcm_s24le",
            description="ProRes 422 HQ 10-bit + PCM 24-bit 48 kHz in .mov (slow to encode)",
        ),
        Preset(
            name="h264-web",
            extension=".mp4",
            extensions=(".mov",),
            video_args=("-c:v", "libx264", "-preset", "medium", "-crf", "18"),
            audio_args=("-c:a", "aac", "-b:a", "192k", "-ar", str(AUDIO_RATE), "-ac", "2"),
            pix_fmt="yuv420p",
            intra_only=False,
            codec="h264",
            profile=None,
            audio_codec="aac",
            description="H.264 4:2:0 + AAC in .mp4 with the index up front, for the web",
            muxer_args=("-movflags", "+faststart"),
        ),
    )
}


def get_preset(name: str) -> Preset:
    """The preset called ``name``; ConfigError listing the choices otherwise."""
    preset = PRESETS.get(name.strip().lower())
    if preset is None:
        raise ConfigError(f"Unknown preset '{name}'; choose one of: {', '.join(PRESETS)}.")
    return preset
