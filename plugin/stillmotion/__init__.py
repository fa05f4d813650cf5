"""stillmotion: generate video from the still under the playhead, place it back on the timeline."""

__version__ = "0.1.0"
