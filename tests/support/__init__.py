"""Helpers shared by the test suite (frame-code reading, fixture media)."""
