"""The Resolve dialog's form: models, sizes, seconds and prices from the same rows the CLI uses
(declared and catalogue models included), the second-model picker and the "No audio" box."""

from __future__ import annotations

import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from stillmotion.errors import ConfigError
from stillmotion.jobs.choices import ModelChoice
from stillmotion.resolve.form import FormValues, build_args, model_names, summary_text
from stillmotion.resolve.ui import GenerateDialog
from stillmotion.settings import Settings
from support.resolve_dialog import RecordingView
from support.resolve_env import (
    SoundingPipeline,
    build_scene,
    generated_clips,
    pipeline,
    settings,
    voiced,
)

__all__ = ["generated_clips", "pipeline", "settings", "voiced"]  # fixtures

MUSE = {"sizes": ["1280x720", "720x1280"], "durations": [3, 6], "price_per_second": 0.25}


@pytest.fixture
def declared(settings: Settings) -> Settings:
    """The settings with a user-declared gateway model ("openai/muse")."""
    return settings.model_copy(update={"models": {"openai/muse": MUSE}})


def test_a_declared_model_is_offered_sized_and_priced_as_declared(declared: Settings) -> None:
    assert "muse" in model_names("openai", declared)
    args = build_args(FormValues(prompt="slow push in over 3 s", provider="openai",
                                 model="muse"), timeline_size=(1920, 1080), settings=declared)
    assert (args.model, args.size, args.seconds) == ("muse", (1280, 720), 3)
    assert str(args.estimate.amount) == "0.75" and "settings" in args.estimate.basis
    with pytest.raises(ConfigError, match="4 s is not allowed"):
        build_args(FormValues(prompt="x", provider="openai", model="muse", seconds="4"),
                   timeline_size=(1920, 1080), settings=declared)


def test_the_settings_model_leads_the_list_only_for_its_own_provider(settings: Settings) -> None:
    own = settings.model_copy(update={"provider": "runway", "model": "gen4_turbo"})
    assert model_names("runway", own)[0] == "gen4_turbo"
    assert model_names("fal", own)[0] != "gen4_turbo"
    assert model_names("acme", own) == []
    # The settings' model names the settings' provider's model, not another provider's.
    args = build_args(FormValues(prompt="pan left over 5 s", provider="runway"),
                      timeline_size=(1920, 1080), settings=own)
    assert args.model == "gen4_turbo"


def test_a_second_model_is_validated_priced_and_summed(declared: Settings) -> None:
    values = FormValues(prompt="slow push in over 3 s", provider="openai", model="muse",
                        second="runway:gen4.5", seconds="5")
    with pytest.raises(ConfigError, match="5 s is not allowed for muse"):
        build_args(values, timeline_size=(1920, 1080), settings=declared)
    values = FormValues(prompt="slow push in over 3 s", provider="runway", model="gen4.5",
                        second="openai:muse")
    args = build_args(values, timeline_size=(1920, 1080), settings=declared)
    assert args.second is not None
    assert args.choices == [ModelChoice("runway", "gen4.5"), ModelChoice("openai", "muse")]
    assert (args.seconds, args.second.seconds) == (5, 3)  # each model's own default
    assert args.asked_seconds is None and args.asked_size is None
    assert args.total == args.estimate.amount + args.second.estimate.amount
    text = summary_text(args)
    assert "runway/gen4.5, 1280x720, 5 s: estimated $0.60" in text
    assert "openai/muse, 1280x720, 3 s: estimated $0.75" in text
    assert text.endswith("$1.35 in total") and str(args.total) == "1.35"


@pytest.mark.parametrize(("second", "words"), [
    ("runway:", "not a provider choice"),
    ("acme:x", "Unknown provider 'acme'"),
    ("preview", "is the first one again"),
    ("preview:preview", "given twice"),
])
def test_a_bad_second_model_is_one_sentence(settings: Settings, second: str,
                                            words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        build_args(FormValues(prompt="x", second=second), timeline_size=(320, 180),
                   settings=settings)


def test_no_audio_places_the_picture_only_and_is_recorded_on_the_job(
    make_clip: Callable[[str], Path], voiced: SoundingPipeline, settings: Settings
) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=Fraction(24000, 1001))
    view = RecordingView(FormValues(prompt="she says hello", seconds="1", size="320x180",
                                    no_audio=True))
    dialog = GenerateDialog(scene.resolve, view, settings=settings, generate=voiced,
                            sleep=scene.resolve.sleep, clock=scene.resolve.clock)
    args = dialog.refresh()
    assert args is not None and args.no_audio
    assert dialog.start()
    for _ in range(2000):
        if not dialog.poll():
            break
        time.sleep(0.01)
    assert view.errors == [], view.errors
    assert dialog.placed is not None and dialog.placed.clip.sound  # the clip has sound …
    assert dialog.placed.sound_track is None  # … but only the picture was placed
    assert [len(t.items) for t in scene.timeline.audio_tracks] == [0]
    assert len(scene.timeline.tracks[1].items) == 1
    [context] = voiced.inner.contexts
    assert context is not None and context.no_audio  # a resumed job stays picture only


def test_no_audio_holds_for_generate_for_selected_clips(
    make_clip: Callable[[str], Path], voiced: SoundingPipeline, settings: Settings
) -> None:
    scene = build_scene(make_clip("hd_23976_tc"), rate=Fraction(24000, 1001))
    [shot] = scene.timeline.tracks[0].items
    scene.timeline.select(shot)
    view = RecordingView(FormValues(prompt="she says hello", seconds="1", size="320x180",
                                    no_audio=True))
    dialog = GenerateDialog(scene.resolve, view, settings=settings, generate=voiced,
                            sleep=scene.resolve.sleep, clock=scene.resolve.clock)
    assert dialog.start_selection()
    for _ in range(2000):
        if not dialog.poll():
            break
        time.sleep(0.01)
    assert view.errors == [], view.errors
    assert len(scene.timeline.tracks[1].items) == 1
    assert [len(t.items) for t in scene.timeline.audio_tracks] == [0]
    assert [c is not None and c.no_audio for c in voiced.inner.contexts] == [True]
