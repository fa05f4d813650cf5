"""The review page's pictures: thumbnails, hover spritesheets and which file a browser can play.

Why a folder of its own beside the page (``review_assets/``): the page must stay light with
hundreds of takes (small JPEGs, loaded lazily) and must never write into the user's media.
Asset names carry a digest of the source file's path, size and time, so a second review of the
same batch reuses them. Browsers cannot decode DNxHR, ProRes or PCM audio in .mov, so the
player gets the H.264 download when the conformed file would not play, and says so.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from stillmotion.errors import ConfigError, StillmotionError
from stillmotion.media.frames import thumbnail
from stillmotion.media.probe import MediaInfo, probe
from stillmotion.preview import render_spritesheet
from stillmotion.review.model import Review, SourceStill, Take

ASSETS_FOLDER = "review_assets"
THUMBNAIL_WIDTH = 320
SPRITE_COLUMNS = 5
SPRITE_ROWS = 2
SPRITE_TILE_WIDTH = 240
SPRITE_PADDING = 2  # render_spritesheet's gap between tiles
# What Chromium, Firefox and Safari all decode from a local file.
PLAYABLE_SUFFIXES = frozenset({".mp4", ".m4v", ".webm"})
PLAYABLE_VIDEO = {"h264": frozenset({"yuv420p", "yuvj420p"}), "vp8": frozenset({"yuv420p"}),
                  "vp9": frozenset({"yuv420p"}), "av1": frozenset({"yuv420p"})}
PLAYABLE_AUDIO = frozenset({"aac", "mp3", "opus", "vorbis", "flac"})
CODEC_NAMES = {"dnxhd": "DNxHR", "prores": "ProRes", "h264": "H.264", "hevc": "HEVC"}
ASSET_VERSION = 1

ProgressHandler = Callable[[int, int], None]


@dataclass(frozen=True)
class Sprite:
    """A spritesheet and its grid: ``tiles`` frames, left to right then top to bottom."""

    path: Path
    columns: int
    rows: int
    tiles: int
    tile_width: int
    tile_height: int
    padding: int = SPRITE_PADDING


@dataclass(frozen=True)
class TakeAssets:
    """What the page shows for one take: pictures, the file the player plays and why."""

    thumbnail: Path | None = None
    sprite: Sprite | None = None
    play: Path | None = None
    play_note: str = ""
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewAssets:
    """Assets by shot key (the source still) and by (shot key, take position)."""

    stills: dict[str, Path]
    takes: dict[tuple[str, int], TakeAssets]

    @classmethod
    def none(cls) -> ReviewAssets:
        """No pictures at all (the page still lists every take and its facts)."""
        return cls({}, {})


def playable(info: MediaInfo) -> tuple[bool, str]:
    """(whether browsers play this file, a short description such as 'DNxHR in .mov')."""
    video = info.require_video()
    name = f"{CODEC_NAMES.get(video.codec, video.codec)} in {info.path.suffix or 'a file'}"
    formats = PLAYABLE_VIDEO.get(video.codec)
    ok = info.path.suffix.lower() in PLAYABLE_SUFFIXES and formats is not None \
        and video.pix_fmt in formats \
        and (info.audio is None or info.audio.codec in PLAYABLE_AUDIO)
    if info.audio is not None and info.audio.codec not in PLAYABLE_AUDIO:
        name += f" with {info.audio.codec} audio"
    return ok, name


def choose_player(take: Take) -> tuple[Path | None, str]:
    """The file the page's player plays for ``take``, and one sentence saying which and why."""
    problems: list[str] = []
    for label, path in (("conformed file", take.conformed), ("original download", take.original)):
        if path is None:
            continue
        ok, what = _check(label, path)
        if ok:
            why = f": {'; '.join(problems)}" if problems else ""
            return path, f"Plays the {label} {path.name} ({what}){why}."
        problems.append(what)
    if not problems:
        return None, "No media file is recorded for this take."
    return None, "Nothing to play: " + "; ".join(problems) + "."


def _check(label: str, path: Path) -> tuple[bool, str]:
    """(True, what the file is) when browsers play it, else (False, why not, as a clause)."""
    if not path.is_file():
        return False, f"the {label} {path.name} is missing"
    try:
        ok, what = playable(probe(path))
    except StillmotionError as exc:
        return False, f"the {label} {path.name} is unreadable ({exc.message.rstrip('.')})"
    return ok, what if ok else f"the {label} ({what}) does not play in browsers"


def make_assets(review: Review, folder: Path, *, workers: int | None = None,
                on_progress: ProgressHandler | None = None) -> ReviewAssets:
    """Thumbnails and spritesheets for every take and source still of ``review`` in ``folder``.

    A take whose media is missing or unreadable gets no pictures and a problem note instead;
    one bad file never stops the page.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"Cannot create the folder {folder} for the page's pictures "
                          f"({exc.strerror or exc}); write the page somewhere writable.") from exc
    jobs: dict[tuple[str, int], Take] = {
        (shot.key, index): take for shot in review.shots for index, take in enumerate(shot.takes)}
    sources = {shot.key: shot.source for shot in review.shots if shot.source is not None}
    stills: dict[str, Path] = {}
    takes: dict[tuple[str, int], TakeAssets] = {}

    def draw_take(key: tuple[str, int], take: Take) -> None:
        takes[key] = take_assets(take, folder)

    def draw_still(key: str, source: SourceStill) -> None:
        still = _still(source, folder)
        if still is not None:
            stills[key] = still

    count = workers or min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=max(1, count)) as pool:
        futures = [pool.submit(draw_take, key, take) for key, take in jobs.items()]
        futures += [pool.submit(draw_still, key, source) for key, source in sources.items()]
        for done, future in enumerate(as_completed(futures), start=1):
            future.result()
            if on_progress is not None:
                on_progress(done, len(futures))
    return ReviewAssets(stills, takes)


def take_assets(take: Take, folder: Path) -> TakeAssets:
    """Pick the playable file and draw the thumbnail and spritesheet of one take."""
    play, note = choose_player(take)
    source = play or next((p for p in (take.conformed, take.original)
                           if p is not None and p.is_file()), None)
    if source is None:
        return TakeAssets(play=None, play_note=note)
    try:
        thumb = _cached(source, folder, "thumb", lambda out: thumbnail(
            source, out, width=THUMBNAIL_WIDTH, overwrite=True))
        sprite = _sprite(source, folder)
    except StillmotionError as exc:
        return TakeAssets(play=play, play_note=note,
                          problems=(f"No pictures for {source.name}: {exc.message}",))
    return TakeAssets(thumbnail=thumb, sprite=sprite, play=play, play_note=note)


def _sprite(video: Path, folder: Path) -> Sprite:
    sheet = _cached(video, folder, "sprite", lambda out: render_spritesheet(
        video, out, columns=SPRITE_COLUMNS, rows=SPRITE_ROWS, tile_width=SPRITE_TILE_WIDTH))
    frames = probe(video, count_frames=True).require_video().frame_count
    tiles = max(1, min(SPRITE_COLUMNS * SPRITE_ROWS, frames))
    rows = math.ceil(tiles / SPRITE_COLUMNS)
    image = probe(sheet).require_video()
    tile_height = (image.height - SPRITE_PADDING * (rows - 1)) // rows
    return Sprite(sheet, SPRITE_COLUMNS, rows, tiles, SPRITE_TILE_WIDTH, tile_height)


def _still(source: SourceStill, folder: Path) -> Path | None:
    """A small copy of a shot's source frame; None when it cannot be read."""
    if not source.path.is_file():
        return None
    frame = source.frame if source.frame is not None else 0
    try:
        return _cached(source.path, folder, f"still{frame}", lambda out: thumbnail(
            source.path, out, width=THUMBNAIL_WIDTH, frame=frame, overwrite=True))
    except StillmotionError:
        return None


def _cached(source: Path, folder: Path, kind: str, make: Callable[[Path], Path]) -> Path:
    """``folder/<name>-<digest>-<kind>.jpg``, made by ``make`` unless it is already there."""
    facts = source.stat()
    key = f"{source.resolve()}|{facts.st_size}|{facts.st_mtime_ns}|{kind}|{ASSET_VERSION}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", source.stem)[:40] or "media"
    target = folder / f"{stem}-{digest}-{kind}.jpg"
    if not target.is_file():
        make(target)
    return target
