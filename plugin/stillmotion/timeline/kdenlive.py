"""Kdenlive projects as the installed otio-kdenlive-adapter cannot give them: generators.

Why: the adapter turns only file producers, colour clips and bars into references; a title
(``kdenlivetitle``), a text or a countdown becomes a MissingReference, which reads as offline
media and made ``stitch`` refuse the whole project. The project text says which MLT service
each named producer uses, so such clips get a GeneratorReference naming the service.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import opentimelineio as otio

# MLT services that read a media file (everything else is made by Kdenlive itself).
FILE_SERVICES = frozenset({"avformat", "avformat-novalidate", "qimage", "pixbuf", "timewarp",
                           "xml", "consumer"})


def producer_services(text: str) -> dict[str, str]:
    """Clip name -> MLT service of every named producer or chain in a Kdenlive project."""
    root = ET.fromstring(text)
    found: dict[str, set[str]] = {}
    for element in list(root.iter("producer")) + list(root.iter("chain")):
        properties = {p.get("name"): (p.text or "") for p in element.findall("property")}
        name = properties.get("kdenlive:clipname", "").strip()
        service = properties.get("mlt_service", "").strip()
        if name and service:
            found.setdefault(name, set()).add(service)
    return {name: next(iter(services)) for name, services in found.items()
            if len(services) == 1}


def mark_generators(timeline: Any, text: str) -> None:
    """Give offline clips whose producer is a Kdenlive generator a GeneratorReference."""
    services = producer_services(text)
    for clip in timeline.find_clips():
        if not isinstance(clip.media_reference, otio.schema.MissingReference):
            continue
        service = services.get(str(clip.name or "").strip())
        if service and service not in FILE_SERVICES:
            clip.media_reference = otio.schema.GeneratorReference(
                name=str(clip.name or ""), generator_kind=service)
