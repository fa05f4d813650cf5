"""OpenTimelineIO work: read/write timelines, find the clip under the playhead, place AI clips.

OTIO is imported only inside this package (and ``otio_adapters/``); callers get plain values
(:class:`~stillmotion.timeline.locate.Located`, :class:`~stillmotion.timeline.place.PlacedClip`)
plus the OTIO objects they carry. Modules: ``io`` (read/write by extension), ``locate``
(playhead -> clip -> source frame), ``place`` (AI track, never overlapping), ``metadata`` (our
``stillmotion`` block), ``generated`` (find placed clips), ``edit`` (gap-splitting insertion),
``media`` (reference -> local file), ``timebase`` (exact frame arithmetic).
"""
