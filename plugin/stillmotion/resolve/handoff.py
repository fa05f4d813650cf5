"""Turnover and ingest from Resolve: the current timeline handed to the finishing package, and
the artists' versions brought back as takes of the live slots.

Why an export step of our own: Resolve's OTIO export (``Timeline.Export`` with the
``EXPORT_OTIO`` constant) keeps clips, tracks and media paths but not stillmotion's provenance,
which lives in the ledger and on media pool items. So the exported timeline's clips on "AI
Generated" tracks whose media is a conformed file of one of the ledger's jobs get our metadata
block back (:func:`stillmotion.jobs.placers.metadata_for`, the OTIO placer's own rule), and the
finishing package (:mod:`stillmotion.finishing`) then sees exactly the shots the CLI would:
:func:`turnover_current` writes the plates, EDL, OTIO and CSV; :func:`ingest_versions` lets
``finishing.ingest`` match, trim and conform each version on that export, then adds each
conformed version as a new take of its live slot (``AddTake``, verified; the slot's generated
sound removed, as for any take without sound), each version its own undoable group.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stillmotion.errors import ResolveOperationError, StillmotionError
from stillmotion.finishing.ingest import IngestRequest, IngestResult, ingest
from stillmotion.finishing.turnover import TurnoverRequest, TurnoverResult, turnover
from stillmotion.jobs.finished import clip_of
from stillmotion.jobs.ledger import JobRow, Ledger, LedgerState
from stillmotion.jobs.placers import metadata_for
from stillmotion.resolve.placement import Slot, add_take, generated_item
from stillmotion.resolve.placing import AI_BIN
from stillmotion.resolve.protocol import Resolve
from stillmotion.resolve.restore import Rollback, undo_on_failure, users_view
from stillmotion.resolve.session import ResolveSession
from stillmotion.resolve.take_sound import follow_take, shown_file
from stillmotion.resolve.takes import META
from stillmotion.resolve.workflow import default_media_dir, safe_name
from stillmotion.settings import Settings
from stillmotion.timeline.io import read_timeline, write_timeline
from stillmotion.timeline.media import file_url_path
from stillmotion.timeline.metadata import write_metadata
from stillmotion.timeline.tracks import is_ai_name

AI_TRACKS = ("AI Generated",)  # turnover's default: the current timeline's AI track


@dataclass
class IngestedVersions:
    """Versions placed as takes on the live timeline, and the ones refused (one sentence each)."""

    placed: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def text(self) -> str:
        """One line per version, for the dialog's status."""
        lines = [f"{v['version']} -> {v['shot']} take {v['take']}" for v in self.placed]
        return "\n".join([*lines, *self.warnings, *(f"Not placed: {r}" for r in self.refused)])


def export_timeline(resolve: Resolve, settings: Settings) -> Path:
    """The current timeline as OTIO, its generated clips tagged from the ledger (main thread)."""
    session = ResolveSession(resolve)
    project = session.project()
    timeline = session.timeline(project)
    folder = settings.cache_dir / "resolve-export"
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(3)
    raw = folder / f"export-{token}.otio"
    if not timeline.Export(str(raw), resolve.EXPORT_OTIO) or not raw.is_file():
        raise ResolveOperationError(
            f"Resolve did not export the timeline '{timeline.GetName()}' as OTIO; check that "
            f"{folder} is writable and try again.", operation="Export")
    try:
        return tag_export(raw, folder / f"{safe_name(str(timeline.GetName()))}-{token}.otio",
                          settings)
    finally:
        raw.unlink()


def tag_export(exported: Path, output: Path, settings: Settings, *,
               overwrite: bool = False) -> Path:
    """Write ``exported`` (Resolve's OTIO export) to the new file ``output`` with our metadata
    on every clip of an "AI Generated" track that plays a conformed file of a ledger job.

    No Resolve calls: the Lua launcher, which exports with Lua, can run it too.
    """
    opened = read_timeline(exported)
    with Ledger(settings.ledger_path) as ledger:
        rows = _rows_by_file(ledger)
        for track in opened.video_tracks():
            if not is_ai_name(str(track.name)):
                continue
            for clip in track.find_clips(shallow_search=True):
                path = _media_file(clip)
                row = rows.get(path) if path is not None else None
                if row is not None:
                    generated = clip_of(row, reused=True)
                    write_metadata(clip, metadata_for(generated, row,
                                                      ledger.takes(generated.take_group)))
    return write_timeline(opened, output, overwrite=overwrite)


def turnover_current(
    resolve: Resolve, *, output: Path, settings: Settings, handles: int = 8,
    format: str = "prores4444", tracks: tuple[str, ...] = AI_TRACKS,
    overwrite: bool = False, on_shot: Callable[[int, int, str], None] | None = None,
) -> TurnoverResult:
    """Turn the current timeline's generated shots (on ``tracks``) over into ``output``."""
    exported = export_timeline(resolve, settings)
    return turnover(turnover_request(exported, output, settings=settings, handles=handles,
                                     format=format, tracks=tracks, overwrite=overwrite),
                    on_shot=on_shot)


def turnover_request(exported: Path, output: Path, *, settings: Settings, handles: int,
                     format: str, tracks: tuple[str, ...] = AI_TRACKS,
                     overwrite: bool = False) -> TurnoverRequest:
    """The finishing package's request for an exported Resolve timeline (ledger included, so a
    moved original download is found again)."""
    return TurnoverRequest(timeline=exported, output=output, handles=handles, format=format,
                           tracks=tracks, overwrite=overwrite, ledger=settings.ledger_path)


def conform_versions(exported: Path, folder: Path, *, project: str, settings: Settings,
                     handles: int = 8) -> IngestResult:
    """Match the versions in ``folder`` to the exported timeline's shots, trim their handles
    and conform them into the project's media folder (no Resolve calls: a worker may run it)."""
    media = default_media_dir(settings, project)
    media.mkdir(parents=True, exist_ok=True)
    return ingest(IngestRequest(timeline=exported, folder=folder,
                                output=media / f"{exported.stem}-ingest.otio",
                                handles=handles, ledger=settings.ledger_path))


def place_versions(resolve: Resolve, found: IngestResult) -> IngestedVersions:
    """Add each conformed version as a new take of its live slot, each its own undoable group
    (UI thread); the project is saved once when any was placed."""
    session = ResolveSession(resolve)
    result = IngestedVersions(refused=[r.reason for r in found.refused],
                              warnings=list(found.warnings))
    for version in found.placed:
        try:
            take = _add_version(session, version)
        except StillmotionError as exc:
            result.refused.append(f"{version['version']}: {exc.message}")
            continue
        result.placed.append({**version, "take": take})
    if result.placed:
        session.save_project()
    return result


def ingest_versions(resolve: Resolve, folder: Path, *, settings: Settings,
                    handles: int = 8) -> IngestedVersions:
    """Export, conform the versions in ``folder``, place them as takes (scripts and tests;
    the dialog runs the conform in a worker)."""
    project = str(ResolveSession(resolve).project().GetName())
    exported = export_timeline(resolve, settings)
    found = conform_versions(exported, folder, project=project, settings=settings,
                             handles=handles)
    return place_versions(resolve, found)


def _add_version(session: ResolveSession, version: dict[str, Any]) -> int:
    """One conformed version as a new take of the generated item it was matched to; the
    version's own sound (the OTIO ingest measured it) becomes the slot's sound, linked, and the
    AI take's goes, all undone on a failure."""
    project = session.project()
    timeline = session.timeline(project)
    media_pool = session.media_pool(project)
    clock = session.clock(timeline)
    track = next((t for t in session.video_tracks(timeline) if t.name == version["track"]),
                 None)
    if track is None:
        raise ResolveOperationError(f"The track '{version['track']}' is gone; ingest again.",
                                    operation="GetTrackName")
    session.quiet_background()
    with users_view(session, timeline, clock, media_pool):
        session.require(
            media_pool.SetCurrentFolder(session.bin(media_pool, AI_BIN)), "SetCurrentFolder",
            f"Resolve did not open the '{AI_BIN}' bin", "select it by hand and try again")
        [item_media] = session.require(
            media_pool.ImportMedia([str(version["media"])]), "ImportMedia",
            f"Resolve did not import {Path(version['media']).name}",
            "check that Resolve can read the project's media folder")
        session.require(
            item_media.SetThirdPartyMetadata({
                META + "artist_version": str(version["version"]),
                META + "ai_job": str(version["ai_job"]), META + "shot": str(version["shot"]),
                # the take's job, as on the OTIO side: a later take finds its sound to replace
                META + "job_id": str(version["ai_job"])}),
            "SetThirdPartyMetadata", "Resolve did not store the version's provenance",
            "try again")
        with undo_on_failure(Rollback()) as rollback:
            item = generated_item(session, timeline, clock, track.index,
                                  int(version["record_start"]))
            shown = shown_file(item)
            take = add_take(session, item, item_media, frames=int(version["frames"]),
                            rollback=rollback)
            slot = Slot(track.index, track.name, False, int(item.GetStart()),
                        int(item.GetDuration()))
            follow_take(session, media_pool, timeline, clock, item_media, picture=item,
                        shown=shown, slot=slot, frames=int(version["frames"]),
                        sound=bool(version.get("sound")), rollback=rollback)
    return take


def _rows_by_file(ledger: Ledger) -> dict[Path, JobRow]:
    """Finished jobs by their conformed file (what a Resolve clip of ours plays)."""
    rows = ledger.jobs(states=(LedgerState.CONFORMED, LedgerState.PLACED))
    return {Path(r.files.conformed).absolute(): r for r in rows if r.files.conformed}


def _media_file(clip: Any) -> Path | None:
    url = str(getattr(clip.media_reference, "target_url", "") or "")
    if not url:
        return None
    return (file_url_path(url) or Path(url)).absolute()


