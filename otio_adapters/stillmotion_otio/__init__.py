"""stillmotion's OpenTimelineIO plugin: render timelines, write Resolve-ready OTIO, relink media.

Registered through the ``opentimelineio.plugins`` entry point; ``plugin_manifest.json`` lists the
``stillmotion_render`` and ``stillmotion_resolve_otio`` adapters (chosen by name only, so they
never take over the .mov or .otio extensions) and the ``stillmotion_linker`` media linker. The
modules are thin: the work is done in ``stillmotion.timeline`` and ``stillmotion.media``.
"""
