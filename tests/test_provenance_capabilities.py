"""The model capability table (Content Credentials are tested in test_content_credentials)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from stillmotion.api import capabilities
from stillmotion.errors import ConfigError


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
