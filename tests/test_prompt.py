"""Shot prompts: the five-part model, its text, and the linter (reads moves like the preview)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from pydantic import ValidationError

from stillmotion.errors import ConfigError
from stillmotion.moves import find_moves
from stillmotion.preview import plan
from stillmotion.preview.audio import wants_ambience
from stillmotion.prompt import MAX_PROMPT_CHARS, ShotPrompt, lint, validate_prompt

SHOT = ShotPrompt(
    framing="Medium close-up of a ceramic cup on a wooden table",
    action="Steam rises from the cup; a hand  reaches in",
    timing="Static 0.5 s, slow dolly in over 2 s, then hold",
    lighting="Warm evening light from the left",
    audio="Quiet cafe ambience",
    keep=("the cup's logo", " the table grain "),
    avoid=("text; captions", "", "fast zooms"),
)


def codes(text: str, seconds: int | Fraction) -> list[str]:
    return [warning.code for warning in lint(text, seconds)]


def test_render_writes_one_labelled_line_per_part() -> None:
    assert SHOT.render() == (
        "Framing: Medium close-up of a ceramic cup on a wooden table.\n"
        "Action: Steam rises from the cup; a hand reaches in.\n"
        "Timing: Static 0.5 s, slow dolly in over 2 s, then hold.\n"
        "Lighting: Warm evening light from the left.\n"
        "Audio: Quiet cafe ambience.\n"
        "Keep: the cup's logo; the table grain.\n"
        "Avoid: text, captions; fast zooms."
    )
    assert ShotPrompt(action="A cat sleeps!").render() == "Action: A cat sleeps!"


def test_from_text_reads_the_rendered_prompt_back() -> None:
    assert ShotPrompt.from_text(SHOT.render()) == SHOT
    loose = ShotPrompt.from_text("A dog runs.\nCamera: pan left 2 s\nSound: barking")
    assert (loose.action, loose.timing, loose.audio) == ("A dog runs", "pan left 2 s", "barking")


def test_rendered_prompt_drives_the_preview() -> None:
    text = SHOT.render()
    # Only the timing line holds camera moves; "Avoid: fast zooms" is not a zoom.
    assert [m.label for m in find_moves(text)] == ["static", "dolly in", "static"]
    path = plan(text, 4)
    assert path.at(0.25) == pytest.approx((1.0, 0.5, 0.5))
    assert path.at(2.5)[0] > 1.05
    assert wants_ambience(text)
    assert lint(text, 4) == []


def test_empty_or_over_long_prompts_are_config_errors() -> None:
    with pytest.raises(ConfigError) as empty:
        ShotPrompt().render()
    assert empty.value.message == "The prompt is empty; describe the shot and its camera move."
    with pytest.raises(ConfigError):
        lint("   \n ", 4)
    too_long = "dolly in. " + "x" * MAX_PROMPT_CHARS
    with pytest.raises(ConfigError) as long_error:
        lint(too_long, 4)
    message = long_error.value.message
    assert "32000" in message and "\n" not in message and message.count(". ") == 0
    assert validate_prompt("a" * MAX_PROMPT_CHARS) == "a" * MAX_PROMPT_CHARS
    with pytest.raises(ConfigError):
        ShotPrompt(action="y" * MAX_PROMPT_CHARS).render()
    with pytest.raises(ConfigError):
        lint("dolly in", 0)


def test_model_refuses_unknown_parts() -> None:
    with pytest.raises(ValidationError):
        ShotPrompt.model_validate({"framing": "wide", "mood": "sad"})


@pytest.mark.parametrize("phrase", [
    "Animate this photo, slow dolly in", "make it move with a pan left",
    "bring it to life, static", "bring the old photo to life, tilt up",
])
def test_vague_verbs(phrase: str) -> None:
    assert codes(phrase, 4) == ["vague_verb"]


def test_no_camera_verb() -> None:
    assert codes("A cat sleeps on a windowsill, warm light", 4) == ["no_camera_move"]
    assert codes("Animate it", 4) == ["vague_verb", "no_camera_move"]
    assert codes("Static shot, a cat sleeps", 4) == []


def test_conflicting_moves_in_one_beat() -> None:
    warnings = lint("dolly in and pull back over 2 s", 4)
    assert [w.code for w in warnings] == ["conflicting_moves"]
    assert "dolly in and dolly out" in warnings[0].message
    assert codes("dolly in 2 s, then pull back 2 s", 4) == []
    assert codes("pan left and pan right", 4) == ["conflicting_moves"]
    assert codes("locked off and pan left", 4) == ["conflicting_moves"]


def test_more_beats_than_the_length_holds() -> None:
    busy = "pan left, pan right, tilt up, tilt down, zoom in"
    assert codes(busy, 2) == ["too_many_beats"]
    assert codes(busy, 3) == []
    assert codes("static 1.7 s, then dolly in", 2) == ["beat_too_short"]


def test_durations_past_the_end() -> None:
    warnings = lint("dolly in 3 s, then pan left 3 s, then tilt up", 4)
    assert [w.code for w in warnings] == ["durations_overrun", "beat_clipped", "beat_dropped"]
    assert "6 s, more than the 4 s clip" in warnings[0].message
    assert "'pan left 3 s' is cut to 1 s" in warnings[1].message
    assert all(w.message.endswith(".") for w in warnings)


def test_five_beat_example_lints_clean() -> None:
    assert lint("Start static 0.5 s, dolly-in 2 s, hold 1 s, pan left 1.5 s", 5) == []
    assert codes("Start static 0.5 s, dolly-in 2 s, hold 1 s, pan left 1.5 s", 4) == [
        "durations_overrun", "beat_clipped"]
