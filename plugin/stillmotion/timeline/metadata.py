"""Our provenance block on generated clips: ``metadata["stillmotion"]``, typed both ways.

Why a dataclass: the pipeline writes it, and ``stillmotion takes``, the media linker and the
review page read it back from timelines that went through other tools, so unknown or damaged
content must be told apart from a clip we made. OTIO metadata dictionaries cannot be replaced
wholesale (``clip.metadata = {...}`` raises), so :func:`write_metadata` edits key by key.
Values are JSON-plain (str, int, float, bool, None, lists, dicts) so every adapter that keeps
metadata (otio_json, otioz) round-trips them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

from stillmotion.errors import TimelineError

METADATA_NAMESPACE = "stillmotion"
SCHEMA_VERSION = 1
MARKER_NAME = "AI generated"


def utc_now_text() -> str:
    """The current time as ISO 8601 UTC text ('2026-01-31T12:00:00Z')."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def new_take_group() -> str:
    """A fresh id tying together the takes generated for one place on the timeline."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class TakeRecord:
    """One take of a generated shot: which job made it and which files hold it."""

    take: int
    job_id: str
    media: str
    original: str | None = None
    prompt: str = ""
    created_at: str = ""
    cost_estimate: float | None = None
    sound: bool | None = None  # the file carries sound (not our silent fill); None: unknown
    provider: str = ""
    model: str = ""
    """Which provider and model made the take, so takes of one slot from several models can be
    told apart and switching takes keeps the shown clip's provenance right."""
    facts: dict[str, Any] = field(default_factory=dict, hash=False)
    """The take's own part of the clip metadata as it was when shown (remote id, provenance,
    sound facts, size …: :func:`stillmotion.timeline.takes.take_facts`), so switching back to
    it shows its facts, not those of the take shown before ({}: never recorded)."""

    @property
    def label(self) -> str:
        """``runway gen4.5`` (empty for takes recorded before models were kept)."""
        return f"{self.provider} {self.model}".strip()

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        if not self.facts:
            del data["facts"]  # takes never shown (or from older timelines) stay as they were
        else:
            data["facts"] = plain(self.facts)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TakeRecord:
        facts = data.get("facts")
        return cls(
            take=_int(data, "take", 1),
            job_id=_str(data, "job_id", ""),
            media=_str(data, "media", ""),
            original=_opt_str(data, "original"),
            prompt=_str(data, "prompt", ""),
            created_at=_str(data, "created_at", ""),
            cost_estimate=_opt_float(data, "cost_estimate"),
            sound=data["sound"] if isinstance(data.get("sound"), bool) else None,
            provider=_str(data, "provider", ""),
            model=_str(data, "model", ""),
            facts=plain(facts) if isinstance(facts, Mapping) else {},
        )


@dataclass(frozen=True)
class GeneratedClipMetadata:
    """Everything we know about a generated clip: prompt, service, source, cost and takes.

    ``take`` is the take currently shown; ``takes`` lists every take of ``take_group`` so a later
    ``stillmotion takes --use N`` can switch media without asking the service again.
    ``cost_estimate`` is in ``currency`` (None when unknown); ``seconds`` is what was requested.
    ``link_id`` is shared by a picture clip and the sound clip placed with it ("" when placed
    without sound), so takes and tools move them together. ``crossfade_frames`` (``extend
    --crossfade``) is how many record frames the clip dissolves in over from what plays beneath
    it, picture and sound (:func:`crossfade_in`).
    """

    prompt: str
    provider: str
    model: str
    job_id: str
    seconds: float
    size: str
    source_clip: str = ""
    source_timecode: str = ""
    source_frame: int | None = None
    source_media: str = ""
    prompt_parts: dict[str, str] = field(default_factory=dict)
    cost_estimate: float | None = None
    currency: str = "USD"
    original_file: str | None = None
    conformed_file: str | None = None
    preview: bool = False
    take: int = 1
    take_group: str = field(default_factory=new_take_group)
    takes: tuple[TakeRecord, ...] = ()
    created_at: str = field(default_factory=utc_now_text)
    link_id: str = ""
    crossfade_frames: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """JSON-plain dict for ``metadata["stillmotion"]`` (``extra`` keys merged at top level)."""
        data: dict[str, Any] = {}
        for item in fields(self):
            if item.name == "extra":
                continue
            value = getattr(self, item.name)
            if item.name == "takes":
                value = [take.to_dict() for take in value]
            elif item.name == "prompt_parts":
                value = dict(value)
            data[item.name] = value
        for key, value in self.extra.items():
            data.setdefault(key, plain(value))
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GeneratedClipMetadata:
        """Rebuild from a metadata block (OTIO AnyDictionary or dict); TimelineError if damaged.

        Missing optional keys take their defaults; unknown keys are kept in ``extra``.
        """
        known = {f.name for f in fields(cls)} - {"extra"}
        for required in ("prompt", "provider", "model", "job_id"):
            if required not in data:
                raise TimelineError(
                    f"The stillmotion metadata on this clip has no '{required}'; it was edited "
                    "by hand or by another tool, so regenerate the clip."
                )
        parts = data.get("prompt_parts") or {}
        takes = data.get("takes") or []
        if not isinstance(parts, Mapping) or not _is_list(takes):
            raise TimelineError(
                "The stillmotion metadata on this clip is damaged ('prompt_parts' or 'takes' has "
                "the wrong shape); regenerate the clip."
            )
        return cls(
            prompt=_str(data, "prompt", ""),
            provider=_str(data, "provider", ""),
            model=_str(data, "model", ""),
            job_id=_str(data, "job_id", ""),
            seconds=_float(data, "seconds", 0.0),
            size=_str(data, "size", ""),
            source_clip=_str(data, "source_clip", ""),
            source_timecode=_str(data, "source_timecode", ""),
            source_frame=_opt_int(data, "source_frame"),
            source_media=_str(data, "source_media", ""),
            prompt_parts={str(k): str(v) for k, v in parts.items()},
            cost_estimate=_opt_float(data, "cost_estimate"),
            currency=_str(data, "currency", "USD"),
            original_file=_opt_str(data, "original_file"),
            conformed_file=_opt_str(data, "conformed_file"),
            preview=bool(data.get("preview", False)),
            take=_int(data, "take", 1),
            take_group=_str(data, "take_group", "") or new_take_group(),
            takes=tuple(TakeRecord.from_dict(_mapping(t)) for t in takes),
            created_at=_str(data, "created_at", ""),
            link_id=_str(data, "link_id", ""),
            crossfade_frames=_int(data, "crossfade_frames", 0),
            extra={str(k): plain(v) for k, v in data.items() if k not in known},
            version=_int(data, "version", SCHEMA_VERSION),
        )


def write_metadata(item: Any, metadata: GeneratedClipMetadata) -> None:
    """Store ``metadata`` under ``item.metadata["stillmotion"]``, key by key (OTIO's rule)."""
    data = metadata.to_dict()
    if METADATA_NAMESPACE not in item.metadata:
        item.metadata[METADATA_NAMESPACE] = {}
    block = item.metadata[METADATA_NAMESPACE]
    for key in [k for k in block if k not in data]:
        del block[key]
    for key, value in data.items():
        block[key] = value


def read_metadata(item: Any) -> GeneratedClipMetadata | None:
    """Our block on ``item``, or None when it has none; TimelineError when it is damaged."""
    block = item.metadata.get(METADATA_NAMESPACE) if item.metadata is not None else None
    if block is None:
        return None
    if not isinstance(block, Mapping):
        raise TimelineError(
            "The stillmotion metadata on this clip is not a dictionary; regenerate the clip."
        )
    return GeneratedClipMetadata.from_dict(block)


def crossfade_in(item: Any) -> int:
    """The record frames over which ``item`` (a generated clip, picture or sound) dissolves in
    from what plays beneath it (0: a cut). Read leniently, as the render reads every clip: a
    damaged block is simply no crossfade."""
    block = item.metadata.get(METADATA_NAMESPACE) if item.metadata is not None else None
    value = block.get("crossfade_frames") if isinstance(block, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def plain(value: Any) -> Any:
    """OTIO AnyDictionary/AnyVector (and nested ones) as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if _is_list(value):
        return [plain(v) for v in value]
    return value


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TimelineError(
            "The stillmotion metadata on this clip lists a take that is not a dictionary; "
            "regenerate the clip."
        )
    return value


def _damaged(key: str, kind: str) -> TimelineError:
    return TimelineError(
        f"The stillmotion metadata on this clip is damaged ('{key}' should be {kind}); "
        "regenerate the clip."
    )


def _str(data: Mapping[str, Any], key: str, default: str) -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise _damaged(key, "text")
    return value


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else _str(data, key, "")


def _int(data: Mapping[str, Any], key: str, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _damaged(key, "a whole number")
    return value


def _opt_int(data: Mapping[str, Any], key: str) -> int | None:
    return None if data.get(key) is None else _int(data, key, 0)


def _float(data: Mapping[str, Any], key: str, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _damaged(key, "a number")
    return float(value)


def _opt_float(data: Mapping[str, Any], key: str) -> float | None:
    return None if data.get(key) is None else _float(data, key, 0.0)
