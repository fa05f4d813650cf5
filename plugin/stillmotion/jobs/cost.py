"""Price table, cost estimates, and the budget guard run before any paid job is submitted.

Why here and not in the providers: a price is a local belief about someone else's bill. The
defaults are list prices per generated second (the /v1/videos Sora rows are OpenAI's historical
prices; the Veo, Runway, fal, Kling, Seedance and Wan rows are estimates from published list
prices and are marked so; 1080p rows are Kling's pro mode and the vendors' higher tiers),
and the user overrides any of them in settings: ``prices`` maps ``"provider/model/WxH"``,
``"provider/model"`` or ``"provider"`` to US dollars per second (environment:
``STILLMOTION_PRICES='{"openai/sora-2": 0.10}'``). The most specific override wins, and any
override beats every default. An unknown model has no price: that is a ConfigError rather than a
silent zero, because the budget guard is only as good as the estimate.

Budgets: a run budget (``--budget`` / ``STILLMOTION_BUDGET``) bounds the total of one run (one job
or a whole batch, checked before anything is sent); a daily budget (``STILLMOTION_DAILY_BUDGET``)
bounds today's spend as recorded in the ledger plus the new estimate. Money is Decimal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from stillmotion.errors import BudgetExceededError, ConfigError
from stillmotion.jobs.ledger import Ledger
from stillmotion.timecode import format_size, parse_size

CURRENCY = "USD"

# (dollars per second, is an estimate). Keys: "provider", "provider/model", "provider/model/WxH".
DEFAULT_PRICES: Mapping[str, tuple[str, bool]] = {
    "preview": ("0", False),
    "openai/sora-2/720x1280": ("0.10", False),
    "openai/sora-2/1280x720": ("0.10", False),
    "openai/sora-2-pro/720x1280": ("0.30", False),
    "openai/sora-2-pro/1280x720": ("0.30", False),
    "openai/sora-2-pro/1024x1792": ("0.50", False),
    "openai/sora-2-pro/1792x1024": ("0.50", False),
    "openai/sora-2-pro/1080x1920": ("0.70", False),
    "openai/sora-2-pro/1920x1080": ("0.70", False),
    "veo/veo-3.1-generate-preview": ("0.40", True),
    "veo/veo-3.1-fast-generate-preview": ("0.15", True),
    "veo/veo-3.0-generate-001": ("0.40", True),
    "veo/veo-3.0-fast-generate-001": ("0.15", True),
    "veo/veo-2.0-generate-001": ("0.35", True),
    "runway/gen4_turbo": ("0.05", True),
    "runway/gen3a_turbo": ("0.05", True),
    "fal/fal-ai/kling-video/v2.1/standard/image-to-video": ("0.05", True),
    "fal/fal-ai/kling-video/v2.1/pro/image-to-video": ("0.09", True),
    "fal/fal-ai/kling-video/v2.1/master/image-to-video": ("0.28", True),
    "kling/kling-v3": ("0.084", True),
    "kling/kling-v3/1920x1080": ("0.112", True),
    "kling/kling-v3/1080x1920": ("0.112", True),
    "kling/kling-v3/1440x1440": ("0.112", True),
    "kling/kling-v2-6": ("0.07", True),
    "kling/kling-v2-6/1920x1080": ("0.098", True),
    "kling/kling-v2-6/1080x1920": ("0.098", True),
    "kling/kling-v2-6/1440x1440": ("0.098", True),
    "seedance/dreamina-seedance-2-0-260128": ("0.14", True),
    "seedance/dreamina-seedance-2-0-260128/1920x1080": ("0.30", True),
    "seedance/dreamina-seedance-2-0-260128/1080x1920": ("0.30", True),
    "seedance/dreamina-seedance-2-0-260128/1440x1440": ("0.30", True),
    "wan/wan2.7-i2v": ("0.10", True),
    "wan/wan2.7-i2v/1920x1080": ("0.15", True),
    "wan/wan2.7-i2v/1080x1920": ("0.15", True),
    "wan/wan2.7-i2v/1440x1440": ("0.15", True),
    "openrouter/google/veo-3.1": ("0.40", True),
    "openrouter/google/veo-3.1-fast": ("0.15", True),
}

_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")  # dated snapshots: sora-2-pro-2025-10-06


@dataclass(frozen=True)
class Estimate:
    """What one job is expected to cost; ``basis`` says which price was used and how sure it is."""

    amount: Decimal
    per_second: Decimal
    seconds: Decimal
    basis: str
    is_estimate: bool
    currency: str = CURRENCY

    def __str__(self) -> str:
        return (
            f"{format_money(self.amount)} ({_number(self.seconds)} s at "
            f"{format_money(self.per_second)}/s, {self.basis})"
        )


def format_money(amount: Decimal) -> str:
    """``$0.80``; sub-cent amounts keep their digits (``$0.005``) so nothing rounds to zero."""
    if amount == amount.quantize(Decimal("0.01")):
        return f"${amount:.2f}"
    return f"${amount.normalize():f}"


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _decimal(value: Decimal | float | int | str, what: str, unit: str) -> Decimal:
    """A finite non-negative Decimal; floats go through str so 0.1 stays 0.1."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise ConfigError(f"{what} must be a non-negative number of {unit}, not '{value}'.")
    return amount


def _money(value: Decimal | float | int | str, what: str) -> Decimal:
    return _decimal(value, what, "dollars")


def _models(model: str | None) -> list[str]:
    """The model name, then its base if it is a dated snapshot (sora-2-pro-2025-10-06)."""
    if not model:
        return []
    base = _SNAPSHOT.sub("", model)
    return [model] if base == model else [model, base]


def _candidates(provider: str, model: str | None, size: str | None) -> list[str]:
    """Price keys for a request, most specific first."""
    models = _models(model)
    keys = [f"{provider}/{m}/{size}" for m in models] if size else []
    keys.extend(f"{provider}/{m}" for m in models)
    keys.append(provider)
    return keys


def _normal_size(size: str | tuple[int, int] | None) -> str | None:
    if size is None:
        return None
    return format_size(parse_size(size) if isinstance(size, str) else size)


def estimate(
    provider: str,
    model: str | None,
    size: str | tuple[int, int] | None,
    seconds: int | str | Decimal,
    *,
    prices: Mapping[str, float | str | Decimal] | None = None,
    declared: Sequence[tuple[str, str]] = (),
    declared_by: str = "catalogue",
) -> Estimate:
    """The cost of generating ``seconds`` of video; ``prices`` are the settings' overrides.

    ``declared`` are the prices that came with the model's capability row (a vendor's
    catalogue, or the user's ``models`` table, named by ``declared_by``): below the settings'
    ``prices``, above the built-in list. A model none of them prices is refused, never free.
    """
    length = _decimal(seconds, "The length", "seconds")
    if length == 0:
        raise ConfigError("The length in seconds must be more than zero.")
    size_text = _normal_size(size)
    keys = _candidates(provider, model, size_text)
    for key in keys:
        if prices and key in prices:
            per_second = _money(prices[key], f"The price '{key}' in settings")
            basis = f"{key} at the price set in settings"
            return Estimate(per_second * length, per_second, length, basis, False)
    stated = dict(declared)
    for key in keys:
        if key in stated:
            per_second = _money(stated[key], f"The {declared_by} price of '{key}'")
            basis = f"{key} at the {declared_by} price"
            return Estimate(per_second * length, per_second, length, basis, False)
    for key in keys:
        if key in DEFAULT_PRICES:
            text, guessed = DEFAULT_PRICES[key]
            per_second = Decimal(text)
            basis = f"{key} at an estimated list price" if guessed else f"{key} at list price"
            return Estimate(per_second * length, per_second, length, basis, guessed)
    prefixes = tuple(f"{provider}/{m}/" for m in _models(model))
    known = sorted(k.rsplit("/", 1)[-1] for k in DEFAULT_PRICES if k.startswith(prefixes))
    sizes = f" (it is priced at {', '.join(known)})" if known else ""
    raise ConfigError(
        f"No price is known for {provider} model {model or '(default)'} at "
        f"{size_text or 'this size'}{sizes}; set one in settings, e.g. "
        f"STILLMOTION_PRICES='{{\"{keys[0]}\": 0.10}}' in dollars per second."
    )


def _as_list(estimates: Estimate | Sequence[Estimate]) -> list[Estimate]:
    return [estimates] if isinstance(estimates, Estimate) else list(estimates)


def start_of_day(now: datetime) -> datetime:
    """Local midnight of ``now`` (a naive ``now`` is local time): the daily budget's window."""
    local = now.astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def check_budget(
    estimates: Estimate | Sequence[Estimate],
    *,
    run_budget: Decimal | float | None,
    daily_budget: Decimal | float | None,
    ledger: Ledger | None,
    now: datetime | None = None,
) -> None:
    """Raise BudgetExceededError if the run's total or today's spend would pass a budget.

    Pass every job of a batch at once so the whole run is refused before anything is sent.
    ``ledger`` is required for a daily budget; jobs already sent today count (see
    :meth:`Ledger.spent`), so check before claiming or forget a claimed row that is refused.
    """
    items = _as_list(estimates)
    total = sum((e.amount for e in items), Decimal(0))
    what = (
        f"This job is estimated at {items[0]}" if len(items) == 1
        else f"These {len(items)} jobs are estimated at {format_money(total)} in total"
    )
    if run_budget is not None:
        limit = _money(run_budget, "The run budget")
        if total > limit:
            raise BudgetExceededError(
                f"{what}, above the run budget of {format_money(limit)}; raise it with --budget "
                "or STILLMOTION_BUDGET, or ask for fewer, shorter or cheaper clips."
            )
    if daily_budget is not None:
        limit = _money(daily_budget, "The daily budget")
        if ledger is None:
            raise ValueError("a daily budget needs the ledger to know today's spend")
        today = ledger.spent(start_of_day(now if now is not None else datetime.now().astimezone()))
        if today + total > limit:
            raise BudgetExceededError(
                f"{what} and {format_money(today)} was already spent today, above the daily "
                f"budget of {format_money(limit)}; raise it with STILLMOTION_DAILY_BUDGET "
                "(daily_budget in the settings file) or wait until tomorrow."
            )
