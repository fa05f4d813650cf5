"""C2PA box detection on real MP4s, the preview mark, and the model capability table."""

from __future__ import annotations

import struct
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.api import capabilities
from stillmotion.errors import ConfigError
from stillmotion.media.probe import probe
from stillmotion.media.provenance import C2PA_UUID, c2pa_summary, read_provenance


def _with_c2pa_box(source: Path, target: Path) -> None:
    """Append a top-level ``uuid`` box carrying a C2PA-looking JUMBF payload."""
    payload = b"jumb" + b"c2pa" + b"urn:c2pa:0b5f6c1e-1111-4222-8333-444455556666" \
        + b"c2pa.actions" + b"\x00" * 16
    box = struct.pack(">I4s", 8 + 16 + len(payload), b"uuid") + C2PA_UUID + payload
    target.write_bytes(source.read_bytes() + box)


def test_c2pa_manifest_is_found_and_summarised(
    make_clip: Callable[[str], Path], tmp_path: Path
) -> None:
    signed = tmp_path / "signed.mp4"
    _with_c2pa_box(make_clip("landscape_30"), signed)
    summary = c2pa_summary(signed)
    assert summary is not None
    assert "urn:c2pa:0b5f6c1e-1111-4222-8333-444455556666" in summary["labels"]
    assert "c2pa.actions" in summary["labels"]
    facts = read_provenance(signed, probe(signed))
    assert facts["c2pa"] is True and facts["preview"] is False


def test_plain_mp4_has_no_manifest(make_clip: Callable[[str], Path]) -> None:
    clip = make_clip("landscape_30")
    assert c2pa_summary(clip) is None
    assert read_provenance(clip, probe(clip))["c2pa"] is False


def test_sora_2_sizes_and_seconds_are_checked_before_sending() -> None:
    cap = capabilities.lookup("openai", "sora-2")
    capabilities.validate(cap, (1280, 720), 8)
    with pytest.raises(ConfigError, match="1792x1024 is not allowed for sora-2"):
        capabilities.validate(cap, (1792, 1024), 8)
    with pytest.raises(ConfigError, match="10 s is not allowed"):
        capabilities.validate(cap, (1280, 720), 10)


def test_auto_size_follows_the_timeline_aspect() -> None:
    sora = capabilities.lookup("openai", "sora-2")
    assert capabilities.choose_size(sora, Fraction(16, 9)) == (1280, 720)
    assert capabilities.choose_size(sora, Fraction(9, 16)) == (720, 1280)
    pro = capabilities.lookup("openai", "sora-2-pro")
    assert capabilities.choose_size(pro, Fraction(1792, 1024)) == (1792, 1024)
    preview = capabilities.lookup("preview", None)
    assert capabilities.choose_size(preview, Fraction(2048, 858)) == (1718, 720)


def test_unknown_provider_and_model_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="Unknown provider"):
        capabilities.lookup("acme", None)
    with pytest.raises(ConfigError, match="has no model 'sora-9'"):
        capabilities.lookup("preview", "sora-9")


def test_nearest_seconds_covers_the_wanted_length() -> None:
    cap = capabilities.lookup("openai", "sora-2")
    assert capabilities.nearest_seconds(cap, Fraction(5)) == 8
    assert capabilities.nearest_seconds(cap, Fraction(30)) == 12


def test_truncated_extended_box_header_is_not_an_error(tmp_path: Path) -> None:
    """A download cut inside a 64-bit box header reads as 'no manifest', not a crash."""
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(struct.pack(">I4s", 16, b"ftyp") + b"isom\x00\x00\x02\x00"
                    + struct.pack(">I4s", 1, b"uuid") + b"\x00\x00")
    assert c2pa_summary(cut) is None
