"""Provider dialects, each mapping its service onto the common job model in ``base``."""
