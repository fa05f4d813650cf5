"""Finishing: turn generated shots over to artists (plates with handles, EDL, OTIO, CSV) and
bring their versions back as takes; uses jobs, media and timeline, used by the front ends."""
