"""The extra downloads of a finished job: a WebP thumbnail and a JPEG spritesheet.

Why here: ``GET /videos/{id}/content?variant=thumbnail|spritesheet`` must answer with real
image bytes (clients sniff them), made from the job's own video.
"""

from __future__ import annotations

import math
from pathlib import Path

from stillmotion.errors import ConfigError
from stillmotion.files import atomic_path, check_output
from stillmotion.media.ffmpeg import filter_arg, media_arg, run
from stillmotion.media.frames import thumbnail
from stillmotion.media.probe import probe


def render_thumbnail(video: Path, out_webp: Path, *, width: int | None = None) -> Path:
    """The middle frame of ``video`` as WebP (full width unless ``width`` is given)."""
    if Path(out_webp).suffix.lower() != ".webp":
        raise ConfigError(f"A thumbnail is WebP; name it .webp, not {Path(out_webp).name}.")
    frame_width = width if width is not None else probe(video).require_video().width
    return thumbnail(video, out_webp, width=frame_width, overwrite=True)


def render_spritesheet(
    video: Path,
    out_jpeg: Path,
    *,
    columns: int = 5,
    rows: int = 2,
    tile_width: int = 160,
) -> Path:
    """``columns`` x ``rows`` frames spread evenly over ``video``, tiled into one JPEG.

    Frames are picked by index from first to last (fewer rows when the video is shorter than
    the grid); each tile is ``tile_width`` wide with the video's aspect.
    """
    if not (1 <= columns <= 20 and 1 <= rows <= 20 and 16 <= tile_width <= 1920):
        raise ConfigError("A spritesheet needs 1-20 columns and rows and tiles 16-1920 wide.")
    if Path(out_jpeg).suffix.lower() not in (".jpg", ".jpeg"):
        raise ConfigError(f"A spritesheet is JPEG; name it .jpg, not {Path(out_jpeg).name}.")
    target = check_output(Path(out_jpeg), inputs=[video], overwrite=True)
    facts = probe(video, count_frames=True).require_video()
    count = min(columns * rows, facts.frame_count)
    picked = sorted({round(i * (facts.frame_count - 1) / max(1, count - 1)) for i in range(count)})
    grid_rows = math.ceil(len(picked) / columns)
    select = "+".join(f"eq(n,{index})" for index in picked)
    chain = [
        f"select={filter_arg(select)}",
        f"scale={tile_width}:-2:flags=bicubic:out_color_matrix=bt601:out_range=pc",
        "format=yuvj420p",
        f"tile={columns}x{grid_rows}:padding=2:color=black",
    ]
    with atomic_path(target) as temp:
        run(["-i", media_arg(video), "-map", "0:v:0", "-an", "-vf", ",".join(chain),
             "-fps_mode", "passthrough", "-frames:v", "1", "-c:v", "mjpeg", "-q:v", "3",
             "-f", "image2", "-update", "1", "-y", media_arg(temp)],
            output=target, what=f"Making the spritesheet of {Path(video).name}")
    return target
