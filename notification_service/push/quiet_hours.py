"""Pure rule: quiet hours, and when a push may go out. No I/O.

Quiet hours are a window of local wall-clock time (Asia/Shanghai) from `start` (included) to `end`
(excluded), every day; `start` after `end` wraps midnight (22:00-07:00). A push made inside the window
waits for its end; an urgent one (an SLA breach, an escalation) goes at once unless the person chose
otherwise, because a ticket past its deadline cannot wait for the morning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.localtime import LOCAL_TIME_ZONE
from shared.rules import InvalidInput

QUIET_HOURS_ZONE = LOCAL_TIME_ZONE


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start == self.end:
            # Ambiguous (never, or all day): refused rather than guessed.
            raise InvalidInput("quiet_hours.end", "quiet_hours_empty", "Start and end must differ.")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise InvalidInput("quiet_hours", "invalid_field", "Local times, without a zone.")

    @property
    def wraps_midnight(self) -> bool:
        return self.start > self.end

    def covers(self, moment: time) -> bool:
        """Whether a local wall-clock time lies inside the window."""
        moment = moment.replace(tzinfo=None)
        if self.wraps_midnight:
            return moment >= self.start or moment < self.end
        return self.start <= moment < self.end


def quiet_until(quiet: QuietHours | None, now: datetime, zone: ZoneInfo = QUIET_HOURS_ZONE) -> datetime | None:
    """When the quiet hours covering `now` end (UTC), or None when `now` is not in quiet hours."""
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")
    if quiet is None:
        return None
    local = now.astimezone(zone)
    if not quiet.covers(local.time()):
        return None
    end_day = local.date()
    if quiet.wraps_midnight and local.time() >= quiet.start:
        end_day += timedelta(days=1)  # started this evening: ends tomorrow morning
    return datetime.combine(end_day, quiet.end, zone).astimezone(UTC)


def release_at(
    quiet: QuietHours | None, now: datetime, *, urgent: bool, urgent_during_quiet_hours: bool = True
) -> datetime:
    """When a push made at `now` may be sent: now, or the end of the quiet hours covering now."""
    if urgent and urgent_during_quiet_hours:
        return now.astimezone(UTC)
    return quiet_until(quiet, now) or now.astimezone(UTC)
