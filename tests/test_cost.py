"""Prices, estimates and the run and daily budget guard."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from stillmotion.errors import BudgetExceededError, ConfigError
from stillmotion.jobs.cost import Estimate, check_budget, estimate, format_money, start_of_day
from stillmotion.jobs.ledger import Ledger
from stillmotion.settings import Settings

UTC = timezone.utc


@pytest.mark.parametrize(
    ("model", "size", "seconds", "amount", "per_second"),
    [("sora-2", "1280x720", 8, "0.80", "0.10"),
     ("sora-2", "720x1280", "4", "0.40", "0.10"),
     ("sora-2-pro", "1280x720", 12, "3.60", "0.30"),
     ("sora-2-pro", "1024x1792", 8, "4.00", "0.50"),
     ("sora-2-pro", "1792X1024", 4, "2.00", "0.50"),
     ("sora-2-pro", (1920, 1080), 8, "5.60", "0.70"),
     ("sora-2-pro-2025-10-06", "1080x1920", 4, "2.80", "0.70")],
)
def test_openai_list_prices(
    model: str, size: str | tuple[int, int], seconds: int | str, amount: str, per_second: str
) -> None:
    result = estimate("openai", model, size, seconds)
    assert result.amount == Decimal(amount) and result.per_second == Decimal(per_second)
    assert result.currency == "USD" and not result.is_estimate
    assert "list price" in result.basis


def test_preview_is_free_and_other_dialects_are_marked_estimates() -> None:
    assert estimate("preview", "anything", "640x360", 8).amount == 0
    veo = estimate("veo", "veo-3.1-generate-preview", "1280x720", 8)
    assert veo.is_estimate and "estimated list price" in str(veo)
    assert estimate("runway", "gen4_turbo", "1280x720", 10).amount == Decimal("0.50")
    kling = estimate("fal", "fal-ai/kling-video/v2.1/standard/image-to-video", None, 5)
    assert kling.is_estimate and kling.amount == Decimal("0.25")


def test_estimate_text_names_seconds_rate_and_basis() -> None:
    text = str(estimate("openai", "sora-2-pro", "1792x1024", 8))
    assert text == "$4.00 (8 s at $0.50/s, openai/sora-2-pro/1792x1024 at list price)"


def test_unknown_model_or_size_is_a_config_error_that_says_how_to_price_it() -> None:
    with pytest.raises(ConfigError) as caught:
        estimate("openai", "wan-2.2", "1280x720", 8)
    message = str(caught.value)
    assert "No price is known for openai model wan-2.2 at 1280x720" in message
    assert "STILLMOTION_PRICES='{\"openai/wan-2.2/1280x720\": 0.10}'" in message
    with pytest.raises(ConfigError, match=r"it is priced at 1280x720, 720x1280"):
        estimate("openai", "sora-2", "1792x1024", 8)  # sora-2 has no 1024p size
    with pytest.raises(ConfigError, match="No price is known for gateway"):
        estimate("gateway", None, None, 4)


def test_overrides_most_specific_first_and_before_any_default() -> None:
    prices: Mapping[str, float | str] = {
        "openai": 0.05, "openai/sora-2": 0.08, "openai/sora-2/1280x720": 0.09,
        "gateway/wan-2.2": "0.02"}
    assert estimate("openai", "sora-2", "1280x720", 10, prices=prices).amount == Decimal("0.90")
    assert estimate("openai", "sora-2", "720x1280", 10, prices=prices).amount == Decimal("0.80")
    # A provider-wide override beats the sora-2-pro list price.
    pro = estimate("openai", "sora-2-pro", "1920x1080", 10, prices=prices)
    assert pro.amount == Decimal("0.50") and "openai at the price set in settings" in pro.basis
    assert estimate("gateway", "wan-2.2", None, 5, prices=prices).amount == Decimal("0.10")
    # Float settings stay exact decimals.
    assert estimate("x", "m", None, 3, prices={"x": 0.1}).amount == Decimal("0.3")


def test_overrides_come_from_settings_and_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STILLMOTION_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STILLMOTION_PRICES", '{"openai/sora-2": 0.25}')
    settings = Settings()
    assert estimate("openai", "sora-2", "1280x720", 4, prices=settings.prices).amount == 1


@pytest.mark.parametrize("bad", [-1, "free", float("nan")])
def test_bad_prices_and_lengths_are_config_errors(bad: object) -> None:
    with pytest.raises(ConfigError, match="non-negative number of dollars"):
        estimate("openai", "sora-2", "1280x720", 8, prices={"openai": bad})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="non-negative number of seconds"):
        estimate("openai", "sora-2", "1280x720", bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="more than zero"):
        estimate("openai", "sora-2", "1280x720", 0)


def test_money_formatting_keeps_sub_cent_amounts() -> None:
    assert format_money(Decimal("0.8")) == "$0.80"
    assert format_money(Decimal("0.005")) == "$0.005"
    assert format_money(Decimal("12")) == "$12.00"


# -- budgets --------------------------------------------------------------------------------


def test_run_budget_sentence_states_estimate_budget_and_how_to_change_it() -> None:
    job = estimate("openai", "sora-2-pro", "1792x1024", 8)
    with pytest.raises(BudgetExceededError) as caught:
        check_budget(job, run_budget=2, daily_budget=None, ledger=None)
    message = str(caught.value)
    assert message.startswith("This job is estimated at $4.00 (8 s at $0.50/s")
    assert "above the run budget of $2.00" in message
    assert "--budget" in message and "STILLMOTION_BUDGET" in message
    assert message.endswith(".") and "\n" not in message
    assert caught.value.exit_code == 9
    check_budget(job, run_budget=Decimal("4.00"), daily_budget=None, ledger=None)  # at budget
    check_budget(job, run_budget=None, daily_budget=None, ledger=None)


def test_a_batch_is_guarded_by_its_total() -> None:
    jobs = [estimate("openai", "sora-2", "1280x720", 8) for _ in range(5)]  # $0.80 each
    check_budget(jobs[:3], run_budget=2.5, daily_budget=None, ledger=None)
    with pytest.raises(BudgetExceededError,
                       match=r"These 5 jobs are estimated at \$4.00 in total, above the run "
                             r"budget of \$2.50"):
        check_budget(jobs, run_budget=2.5, daily_budget=None, ledger=None)


def test_free_preview_never_exceeds_and_bad_budgets_are_config_errors() -> None:
    free = estimate("preview", None, None, 8)
    check_budget(free, run_budget=0, daily_budget=None, ledger=None)
    with pytest.raises(ConfigError, match="run budget must be a non-negative"):
        check_budget(free, run_budget=-1, daily_budget=None, ledger=None)


@pytest.fixture
def spending_ledger(tmp_path: Path) -> Iterator[tuple[Ledger, datetime]]:
    """A ledger where $9.50 was sent today (local time) and $5.00 yesterday."""
    now = datetime.now().astimezone().replace(hour=15, minute=0, second=0, microsecond=0)
    moments = iter([now - timedelta(days=1), now - timedelta(hours=2)])
    clock_now = {"t": now}
    with Ledger(tmp_path / "l.sqlite3", clock=lambda: clock_now["t"]) as book:
        for key, cost in (("yesterday", "5.00"), ("today", "9.50")):
            clock_now["t"] = next(moments)
            row = book.claim(key * 8, provider="openai", model="sora-2",
                             cost_estimate=Decimal(cost)).row
            book.mark_submitting(row.id)
        yield book, now


def test_daily_budget_counts_todays_spend_from_the_ledger(
    spending_ledger: tuple[Ledger, datetime]
) -> None:
    book, now = spending_ledger
    job = estimate("openai", "sora-2", "1280x720", 8)  # $0.80
    check_budget(job, run_budget=None, daily_budget=10.30, ledger=book, now=now)
    with pytest.raises(BudgetExceededError) as caught:
        check_budget(job, run_budget=None, daily_budget=10, ledger=book, now=now)
    message = str(caught.value)
    assert "This job is estimated at $0.80" in message
    assert "$9.50 was already spent today, above the daily budget of $10.00" in message
    assert "STILLMOTION_DAILY_BUDGET" in message and message.endswith(".")
    # Tomorrow the window has moved on.
    check_budget(job, run_budget=None, daily_budget=10, ledger=book,
                 now=now + timedelta(days=1))


def test_start_of_day_is_local_midnight() -> None:
    moment = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    midnight = start_of_day(moment)
    assert midnight <= moment < midnight + timedelta(days=1)
    assert (midnight.hour, midnight.minute, midnight.second) == (0, 0, 0)


def test_daily_budget_without_a_ledger_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="needs the ledger"):
        check_budget(Estimate(Decimal(1), Decimal(1), Decimal(1), "x", False),
                     run_budget=None, daily_budget=5, ledger=None)
