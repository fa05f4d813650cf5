"""stillmotion's OpenTimelineIO plugin: render adapter and media linker (plugin_manifest.json)."""
