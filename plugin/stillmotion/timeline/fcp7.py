"""FCP 7 / Premiere XML as the otio-fcp-adapter reads and writes it: what it would lose.

Why: the adapter keeps unknown elements of a clip or track in ``metadata["fcp_xml"]`` and writes
that dict back as elements (``@name`` keys as attributes), but OTIO's own ``enabled``, track
names and our metadata are not carried. So, on writing a copy gets:

- ``<enabled>`` from OTIO's ``enabled`` (on reading it becomes ``enabled`` again, so a disabled
  clip or track is skipped by locate);
- the track name as ``<name>`` (read back by the adapter) and as Premiere's ``MZ.TrackName``
  attribute (what Premiere shows), so "AI Generated" survives;
- our metadata block as JSON in the clip's ``<comments><mastercomment1>`` (FCP 7's first master
  comment), read back into ``metadata["stillmotion"]`` so review, takes and re-runs see it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import opentimelineio as otio

from stillmotion.timeline.metadata import METADATA_NAMESPACE, plain

FCP_KEY = "fcp_xml"
_TRACK_NAME = "@MZ.TrackName"


def _switchable(timeline: Any) -> Iterator[Any]:
    """Every track and clip (nested ones too): the items FCP XML has ``<enabled>`` on."""
    yield from timeline.find_children(descended_from_type=otio.schema.Track)
    yield from timeline.find_clips()


def after_reading(timeline: Any) -> None:
    """OTIO's ``enabled``, track names and our metadata from what the adapter kept."""
    for item in _switchable(timeline):
        block = item.metadata.get(FCP_KEY)
        if not isinstance(block, Mapping):
            continue
        if str(block.get("enabled", "")).upper() == "FALSE":
            item.enabled = False
        if isinstance(item, otio.schema.Track) and not item.name and block.get(_TRACK_NAME):
            item.name = str(block[_TRACK_NAME])
        comments = block.get("comments")
        stored = comments.get("mastercomment1") if isinstance(comments, Mapping) else None
        if isinstance(item, otio.schema.Clip) and stored and \
                METADATA_NAMESPACE not in item.metadata:
            try:
                found = json.loads(str(stored))
            except ValueError:
                continue
            if isinstance(found, dict) and found.get("job_id"):
                item.metadata[METADATA_NAMESPACE] = found


def before_writing(timeline: Any) -> Any:
    """A copy carrying ``enabled``, track names and our metadata where the adapter writes."""
    copy = timeline.deepcopy()
    for item in _switchable(copy):
        if FCP_KEY not in item.metadata:
            item.metadata[FCP_KEY] = {}
        block = item.metadata[FCP_KEY]
        block["enabled"] = "TRUE" if item.enabled else "FALSE"
        if isinstance(item, otio.schema.Track) and item.name:
            block["name"] = str(item.name)
            block[_TRACK_NAME] = str(item.name)
        ours = item.metadata.get(METADATA_NAMESPACE)
        if isinstance(item, otio.schema.Clip) and isinstance(ours, Mapping):
            comments = dict(plain(block.get("comments") or {}))
            comments["mastercomment1"] = json.dumps(plain(ours), sort_keys=True)
            block["comments"] = comments
    return copy
