"""What a job carries, as frozen typed records: the only shape of a ledger row the code sees.

Why records instead of the row's JSON: the request, files and context of a job are the contract
between the pipeline, the placers, the CLI, the review page and the OTIO media linker; as
``dict[str, Any]`` a renamed key broke callers silently. Each record has one ``to_json`` and one
``from_json``; only the ledger turns them into the row's JSON columns and back.

Growing a record (other work adds fields: the conform's silent audio, C2PA details, several
models per shot): add an optional field with a default, write it in ``to_json`` only when set,
read it with a default in ``from_json``. Keys a record does not know (a newer stillmotion wrote
them) are kept in ``extra`` and written back unchanged, so an older reader never drops them.
A change of meaning or spelling of an existing key bumps :data:`RECORD_VERSION` and adds a
function to :data:`_UPGRADES` that rewrites the older JSON shape before it is read; the ledger
stores the version each row was written with.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

from stillmotion.errors import JobError
from stillmotion.timecode import format_rate, format_size, parse_rate, parse_size

# Version 0: rows written before the records existed (no version stored); 1: these records.
RECORD_VERSION = 1
Json = dict[str, Any]


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return str(value) if value is not None and value != "" else None


def _int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _path(data: Mapping[str, Any], key: str) -> Path | None:
    text = _text(data, key)
    return Path(text) if text is not None else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _extra(data: Mapping[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """The keys a record does not read, kept so they are written back unchanged."""
    return {str(k): v for k, v in data.items() if k not in known}


def _compact(values: Mapping[str, Any], extra: Mapping[str, Any]) -> Json:
    """``values`` without unset (None) entries, after the unknown keys it was read with."""
    out: Json = dict(extra)
    out.update({k: v for k, v in values.items() if v is not None})
    return out


def _str_or_none(value: Path | str | None) -> str | None:
    return str(value) if value is not None else None


def _names(record_type: type[Any]) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(record_type)) - {"extra"}


@dataclass(frozen=True)
class SourceFacts:
    """Where the still came from: the source clip and frame, and the host that showed it.

    The OTIO path fills clip, media, frame, timecode and record_timecode; Resolve adds host,
    project, timeline, record_frame, grab and still.
    """

    clip: str | None = None
    media: str | None = None
    frame: int | None = None
    timecode: str | None = None
    record_timecode: str | None = None
    host: str | None = None
    project: str | None = None
    timeline: str | None = None
    record_frame: int | None = None
    grab: str | None = None
    still: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> Json:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                  if f.name != "extra"}
        return _compact(values, self.extra)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SourceFacts:
        known = _names(cls)
        ints = {"frame", "record_frame"}
        values: dict[str, Any] = {k: (_int(data, k) if k in ints else _text(data, k))
                                  for k in known}
        return cls(**values, extra=_extra(data, known))


@dataclass(frozen=True)
class ConformSpec:
    """The timeline's shape the generated clip is conformed to."""

    rate: Fraction
    size: tuple[int, int]
    preset: str = "resolve-dnxhr-hq"
    fit: str = "letterbox"
    sar: Fraction = Fraction(1)  # anamorphic media's pixel aspect; ``size`` is then stored size

    @property
    def display_aspect(self) -> Fraction:
        """The shape the picture shows at (what a provider size is chosen for)."""
        return Fraction(self.size[0], self.size[1]) * self.sar

    def to_json(self) -> Json:
        """No ``sar`` key for square pixels: request hashes made before it existed hold."""
        spec: Json = {"rate": format_rate(self.rate), "size": format_size(self.size),
                      "preset": self.preset, "fit": self.fit}
        return spec if self.sar == 1 else {**spec, "sar": format_rate(self.sar)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ConformSpec:
        return cls(rate=parse_rate(str(data["rate"])), size=parse_size(str(data["size"])),
                   preset=str(data.get("preset") or "resolve-dnxhr-hq"),
                   fit=str(data.get("fit") or "letterbox"),
                   sar=parse_rate(str(data.get("sar") or "1")))


@dataclass(frozen=True)
class JobRequest:
    """What was asked of the service; ``remix_of``/``extend_of`` name a remote job to build on."""

    prompt: str = ""
    model: str | None = None
    size: str | None = None
    seconds: int | None = None
    source: SourceFacts | None = None
    remix_of: str | None = None
    extend_of: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> Json:
        return _compact({
            "prompt": self.prompt, "model": self.model, "size": self.size,
            "seconds": self.seconds, "source": self.source.to_json() if self.source else None,
            "remix_of": self.remix_of, "extend_of": self.extend_of,
        }, self.extra)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JobRequest:
        source = data.get("source")
        return cls(
            prompt=str(data.get("prompt") or ""), model=_text(data, "model"),
            size=_text(data, "size"), seconds=_int(data, "seconds"),
            source=SourceFacts.from_json(source) if isinstance(source, Mapping) and source
            else None,
            remix_of=_text(data, "remix_of"), extend_of=_text(data, "extend_of"),
            extra=_extra(data, _names(cls)),
        )


@dataclass(frozen=True)
class JobFiles:
    """The files of a job, each written by one stage (absolute paths)."""

    source_image: Path | None = None  # the still as grabbed or exported
    last_source_image: Path | None = None  # the still the clip must end on (fill-gap)
    image: Path | None = None  # the still fitted to the request size, as sent
    last_image: Path | None = None
    download: Path | None = None  # the service's file, kept for provenance
    conformed: Path | None = None
    timeline: Path | None = None  # the last timeline file the clip was placed on
    extra: Mapping[str, str] = field(default_factory=dict)

    def paths(self) -> Iterator[Path]:
        """Every file recorded, known or not."""
        for name in sorted(_names(type(self))):
            value = getattr(self, name)
            if value is not None:
                yield value
        yield from (Path(v) for v in self.extra.values())

    def to_json(self) -> Json:
        return _compact({name: _str_or_none(getattr(self, name))
                         for name in sorted(_names(type(self)))}, self.extra)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JobFiles:
        known = _names(cls)
        extra = {k: str(v) for k, v in _extra(data, known).items()}
        return cls(**{name: _path(data, name) for name in known}, extra=extra)


@dataclass(frozen=True)
class Provenance:
    """Where a download came from: a typed core, and any further facts its reader found.

    ``extra`` holds facts beyond the core (C2PA validation, signer …) as the provenance reader
    returns them, so they reach the timeline metadata and review page unchanged.
    """

    preview: bool = False
    c2pa: bool = False
    c2pa_manifest: Mapping[str, Any] | None = None
    encoder: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> Json:
        out: Json = dict(self.extra)
        out.update({"preview": self.preview, "c2pa": self.c2pa,
                    "c2pa_manifest": dict(self.c2pa_manifest) if self.c2pa_manifest else None,
                    "encoder": self.encoder})
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Provenance:
        manifest = data.get("c2pa_manifest")
        return cls(preview=bool(data.get("preview")), c2pa=bool(data.get("c2pa")),
                   c2pa_manifest=dict(manifest) if isinstance(manifest, Mapping) else None,
                   encoder=_text(data, "encoder"), extra=_extra(data, _names(cls)))


@dataclass(frozen=True)
class GapFacts:
    """The gap a ``fill-gap`` job closes (record frames) and the still it must end on."""

    start: int
    end: int
    before: str | None = None
    after: str | None = None
    last_frame_source: SourceFacts | None = None

    def to_json(self) -> Json:
        return _compact({"start": self.start, "end": self.end, "before": self.before,
                         "after": self.after, "last_frame_source":
                         self.last_frame_source.to_json() if self.last_frame_source else None},
                        {})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GapFacts:
        last = data.get("last_frame_source")
        return cls(start=_int(data, "start") or 0, end=_int(data, "end") or 0,
                   before=_text(data, "before"), after=_text(data, "after"),
                   last_frame_source=SourceFacts.from_json(last) if isinstance(last, Mapping)
                   else None)


@dataclass(frozen=True)
class ResolveSpot:
    """Where the Resolve front end placed a clip."""

    project: str
    timeline: str
    track: int
    record_frame: int
    timecode: str
    take: int | None = None
    sound_track: int | None = None
    """The audio track holding the clip's linked sound (None: no sound placed)."""

    def to_json(self) -> Json:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResolveSpot:
        return cls(project=str(data.get("project", "")), timeline=str(data.get("timeline", "")),
                   track=_int(data, "track") or 0, record_frame=_int(data, "record_frame") or 0,
                   timecode=str(data.get("timecode", "")), take=_int(data, "take"),
                   sound_track=_int(data, "sound_track"))


@dataclass(frozen=True)
class TimelineReading:
    """How the input timeline was read (``--rate``; ``relink_dirs``: every folder searched,
    from ``--media-dir`` and ``--relink-dir`` alike), so placing after a crash reads it the
    same way; the JSON is ``stillmotion.timeline.relink.reading_context``'s."""

    rate: str | None = None
    relink_dirs: tuple[str, ...] = ()

    def to_json(self) -> Json:
        return {"rate": self.rate, "relink_dirs": list(self.relink_dirs)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TimelineReading:
        dirs = data.get("relink_dirs")
        return cls(rate=_text(data, "rate"),
                   relink_dirs=tuple(str(d) for d in dirs) if isinstance(dirs, list) else ())


@dataclass(frozen=True)
class JobContext:
    """Everything needed to finish and place a job after a crash, beyond the request.

    ``timeline``/``at``/``output``/``overwrite``/``for_resolve``/``record_frame``/
    ``place_frames``/``tail_seconds``/``crossfade_frames`` say how the OTIO placer puts it on a
    timeline file (``timeline`` set means it has one; ``crossfade_frames``: ``extend
    --crossfade`` dissolves the clip in over that many record frames); ``resolve`` says where
    the Resolve placer put it. The stages add ``expires_at``, ``provenance``,
    ``download_sha256`` and ``frames``. Sound: ``no_audio`` (``--no-audio``: place the picture
    only), ``audio_promised`` (the model's capability row says it makes sound) and ``audio`` (the
    conform's :class:`~stillmotion.media.sound.SoundFacts` JSON plus ``silence_added``).
    ``no_credentials`` (``--no-credentials``) holds for the job's whole life, resume included.
    """

    media_dir: Path | None = None
    conform: ConformSpec | None = None
    timeline: Path | None = None
    at: str | None = None
    output: Path | None = None
    overwrite: bool = False
    for_resolve: bool = False
    record_frame: int | None = None
    place_frames: int | None = None
    tail_seconds: int | None = None
    crossfade_frames: int | None = None
    extends: str | None = None
    gap: GapFacts | None = None
    expires_at: int | None = None
    provenance: Provenance | None = None
    download_sha256: str | None = None
    frames: int | None = None
    resolve: ResolveSpot | None = None
    reading: TimelineReading | None = None
    no_audio: bool = False
    no_credentials: bool = False
    audio_promised: bool | None = None
    audio: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def conform_spec(self) -> ConformSpec:
        """The conform target, which every row the pipeline claimed records."""
        if self.conform is None:
            raise JobError("This job records no conform target (it was not made by the "
                           "pipeline); make a new take.")
        return self.conform

    def to_json(self) -> Json:
        nested = {"conform": self.conform, "gap": self.gap, "provenance": self.provenance,
                  "resolve": self.resolve, "reading": self.reading}
        values: Json = {name: _str_or_none(getattr(self, name)) for name in
                        ("media_dir", "timeline", "output", "at", "extends", "download_sha256")}
        values.update({name: getattr(self, name) for name in
                       ("record_frame", "place_frames", "tail_seconds", "crossfade_frames",
                        "expires_at", "frames")})
        values.update({k: v.to_json() if v is not None else None for k, v in nested.items()})
        values.update({name: getattr(self, name) or None for name in
                       ("overwrite", "for_resolve", "no_audio", "no_credentials")})
        values.update({"audio_promised": self.audio_promised,
                       "audio": dict(self.audio) if self.audio is not None else None})
        return _compact(values, self.extra)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JobContext:
        def nested(key: str, read: Callable[[Mapping[str, Any]], Any]) -> Any:
            value = data.get(key)
            return read(value) if isinstance(value, Mapping) and value else None

        return cls(
            media_dir=_path(data, "media_dir"), conform=nested("conform", ConformSpec.from_json),
            timeline=_path(data, "timeline"), at=_text(data, "at"), output=_path(data, "output"),
            overwrite=bool(data.get("overwrite")), for_resolve=bool(data.get("for_resolve")),
            record_frame=_int(data, "record_frame"), place_frames=_int(data, "place_frames"),
            tail_seconds=_int(data, "tail_seconds"),
            crossfade_frames=_int(data, "crossfade_frames"), extends=_text(data, "extends"),
            gap=nested("gap", GapFacts.from_json), expires_at=_int(data, "expires_at"),
            provenance=nested("provenance", Provenance.from_json),
            download_sha256=_text(data, "download_sha256"), frames=_int(data, "frames"),
            resolve=nested("resolve", ResolveSpot.from_json),
            reading=nested("reading", TimelineReading.from_json),
            no_audio=bool(data.get("no_audio")), no_credentials=bool(data.get("no_credentials")),
            audio_promised=bool(data["audio_promised"]) if data.get("audio_promised") is not None
            else None,
            audio=dict(data["audio"]) if isinstance(data.get("audio"), Mapping) else None,
            extra=_extra(data, _names(cls)),
        )


Merged = TypeVar("Merged", JobRequest, JobFiles, JobContext)


def merged(base: Merged, patch: Merged) -> Merged:
    """``base`` with every field ``patch`` sets (differs from its default); extras merge too.

    Why: stages add what they learned (a file, the frame count) without restating the rest, as
    the ledger's one transaction reads the stored record and writes the merge.
    """
    changes: dict[str, Any] = {}
    for spec in dataclasses.fields(patch):
        value = getattr(patch, spec.name)
        if spec.name == "extra":
            if value:
                changes["extra"] = {**base.extra, **value}
            continue
        default = spec.default if spec.default_factory is dataclasses.MISSING \
            else spec.default_factory()
        if value != default:
            changes[spec.name] = value
    return dataclasses.replace(base, **changes)


def _upgrade_v0_request(data: Json) -> Json:
    """Version 0 Resolve rows named the source frame ``source_frame``."""
    source = data.get("source")
    if isinstance(source, Mapping) and "source_frame" in source and "frame" not in source:
        fixed = {k: v for k, v in source.items() if k != "source_frame"}
        fixed["frame"] = source["source_frame"]
        return {**data, "source": fixed}
    return data


def _upgrade_v0_context(data: Json) -> Json:
    """Version 0 rows repeated the request's ``source`` in the context; the request keeps it."""
    return {k: v for k, v in data.items() if k != "source"}


def _same(data: Json) -> Json:
    return data


# _UPGRADES[kind][v] rewrites a version-v JSON shape of that record into version v + 1.
_UPGRADES: dict[str, tuple[Callable[[Json], Json], ...]] = {
    "request": (_upgrade_v0_request,),
    "files": (_same,),
    "context": (_upgrade_v0_context,),
}


def upgrade(kind: str, data: Mapping[str, Any], version: int) -> Json:
    """The JSON of a ``kind`` record written at ``version``, in the current shape.

    A newer version than this code knows is read as it is: known keys are used, the rest kept.
    """
    current = dict(data)
    for step in _UPGRADES[kind][max(0, version):]:
        current = step(current)
    return current
