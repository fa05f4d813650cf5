"""Everything ffmpeg: probing, exact frames, conform presets, trims and joins."""
