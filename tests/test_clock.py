"""ocpp_cp.engine.clock: calendar arithmetic, ISO-8601, and the tick-anchored UTC Clock.

The calendar functions are checked against CPython's datetime, which the device code must
not use. The Clock is driven by FakeTicks, which wraps at 2**29 ms like CircuitPython's
ticks_ms().
"""
import datetime
import random

import pytest

from ocpp_cp.engine.chargepoint import ChargePoint
from ocpp_cp.engine.clock import Clock, civil_from_days, days_from_civil, format_iso, parse_iso
from tests.support.memory_cs import FakeTicks, MemoryConnection, ScriptedCentralSystem

UTC = datetime.timezone.utc
EPOCH = datetime.date(1970, 1, 1)
WRAP = 1 << 29  # FakeTicks / adafruit_ticks period in ms
HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS


def unix_of(dt):
    """Unix seconds of an aware datetime, computed with integer arithmetic."""
    delta = dt - datetime.datetime(1970, 1, 1, tzinfo=UTC)
    return delta.days * 86400 + delta.seconds


def iso_of(unix):
    return (datetime.datetime(1970, 1, 1, tzinfo=UTC) + datetime.timedelta(seconds=unix)) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- calendar arithmetic

def test_days_from_civil_and_back_every_day_1970_to_2100():
    day = EPOCH
    end = datetime.date(2100, 12, 31)
    n = 0
    one = datetime.timedelta(days=1)
    while day <= end:
        assert days_from_civil(day.year, day.month, day.day) == n, day
        assert civil_from_days(n) == (day.year, day.month, day.day), n
        day += one
        n += 1
    assert n == (end - EPOCH).days + 1


@pytest.mark.parametrize("y,m,d", [
    (1970, 1, 1), (1972, 2, 29), (1999, 12, 31), (2000, 2, 28), (2000, 2, 29), (2000, 3, 1),
    (2024, 2, 29), (2038, 1, 19), (2038, 1, 20), (2100, 2, 28), (2100, 3, 1), (2100, 12, 31),
    (1900, 3, 1), (1969, 12, 31), (1601, 1, 1), (2400, 2, 29),
])
def test_days_from_civil_special_dates(y, m, d):
    n = (datetime.date(y, m, d) - EPOCH).days
    assert days_from_civil(y, m, d) == n
    assert civil_from_days(n) == (y, m, d)


def test_2100_is_not_a_leap_year_but_2000_is():
    # the day after Feb 28 is Mar 1 in 2100 and Feb 29 in 2000
    assert civil_from_days(days_from_civil(2100, 2, 28) + 1) == (2100, 3, 1)
    assert civil_from_days(days_from_civil(2000, 2, 28) + 1) == (2000, 2, 29)
    assert days_from_civil(2100, 3, 1) - days_from_civil(2100, 2, 28) == 1
    assert days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28) == 2


# ---------------------------------------------------------------- format_iso / parse_iso

def test_format_iso_known_values():
    assert format_iso(0) == "1970-01-01T00:00:00Z"
    assert format_iso(951782400) == "2000-02-29T00:00:00Z"
    assert format_iso(2147483647) == "2038-01-19T03:14:07Z"
    assert format_iso(4107542399) == "2100-02-28T23:59:59Z"
    assert format_iso(4107542400) == "2100-03-01T00:00:00Z"


def test_format_and_parse_iso_match_datetime_on_random_instants():
    rng = random.Random(1604)
    lo = 0
    hi = unix_of(datetime.datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC))
    samples = [rng.randint(lo, hi) for _ in range(3000)] + [lo, hi, 86399, 86400]
    for unix in samples:
        expected = iso_of(unix)
        assert format_iso(unix) == expected, unix
        assert parse_iso(expected) == unix, expected


@pytest.mark.parametrize("text", [
    "2000-02-29T12:34:56Z", "2100-02-28T23:59:59Z", "2100-03-01T00:00:00Z",
    "1970-01-01T00:00:00Z", "2026-11-21T10:00:00Z", "2024-12-31T23:59:59Z",
])
def test_parse_iso_equals_datetime(text):
    dt = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert parse_iso(text) == unix_of(dt)
    assert format_iso(parse_iso(text)) == text


@pytest.mark.parametrize("text,expected", [
    ("2026-11-21T10:00:00.123Z", "2026-11-21T10:00:00Z"),
    ("2026-11-21T10:00:00.999999Z", "2026-11-21T10:00:00Z"),
    ("2026-11-21T10:00:00.5", "2026-11-21T10:00:00Z"),
    ("2026-11-21T11:00:00+01:00", "2026-11-21T10:00:00Z"),
    ("2026-11-21T04:30:00-05:30", "2026-11-21T10:00:00Z"),
    ("2026-11-21T11:00:00.250+01:00", "2026-11-21T10:00:00Z"),
    ("2026-11-21T00:30:00+01:00", "2026-11-20T23:30:00Z"),       # offset crosses the day
    ("2000-02-28T22:00:00-05:30", "2000-02-29T03:30:00Z"),       # ... into a leap day
    ("2100-03-01T00:15:00+00:30", "2100-02-28T23:45:00Z"),       # ... back over Feb 28 2100
    ("2026-11-21T10:00:00", "2026-11-21T10:00:00Z"),             # no zone: UTC
    ("2026-11-21T10:00:00z", "2026-11-21T10:00:00Z"),
    ("2026-11-21t10:00:00Z", "2026-11-21T10:00:00Z"),
])
def test_parse_iso_fractions_offsets_and_missing_zone(text, expected):
    assert format_iso(parse_iso(text)) == expected
    # and the same instant as CPython sees it (fromisoformat needs an explicit zone)
    cpy = text if text[-1] not in "Zz" else text[:-1] + "+00:00"
    if len(cpy) <= 19 or cpy[-6] not in "+-":
        cpy = cpy + "+00:00"
    cpy = cpy[:10] + "T" + cpy[11:]
    assert parse_iso(text) == unix_of(datetime.datetime.fromisoformat(cpy).astimezone(UTC)
                                      .replace(microsecond=0))


def test_parse_iso_returns_int():
    assert type(parse_iso("2026-11-21T10:00:00.75Z")) is int


@pytest.mark.parametrize("text", [
    "", "2026-11-21", "2026-11-21T10:00Z", "2026/11/21T10:00:00Z", "2026-11-21X10:00:00Z",
    "2026-11-21T10-00-00Z", "2026-00-10T10:00:00Z", "2026-13-01T10:00:00Z",
    "2026-11-00T10:00:00Z", "2026-11-32T10:00:00Z", "2026-11-21T24:00:00Z",
    "2026-11-21T10:60:00Z", "2026-11-21T10:00:61Z", "2026-11-21T10:00:00ZZ",
    "2026-11-21T10:00:00 UTC", "2026-11-21T10:00:00+1", "2026-11-21T10:00:00+01:0",
    "2026-11-21T10:00:00+01:00:00", "2026-11-21T10:00:00.123X", "abcd-ef-ghTij:kl:mnZ",
    "2026-1a-21T10:00:00Z", "2026-11-21T10:00:00+ab:cd",
    None, 1795255200, b"2026-11-21T10:00:00Z",
])
def test_parse_iso_rejects_malformed(text):
    with pytest.raises(ValueError):
        parse_iso(text)


@pytest.mark.parametrize("text", ["2026-02-30T00:00:00Z", "2026-04-31T00:00:00Z",
                                  "2025-02-29T00:00:00Z", "2100-02-29T00:00:00Z"])
def test_parse_iso_rejects_impossible_calendar_dates(text):
    with pytest.raises(ValueError):
        parse_iso(text)


# ---------------------------------------------------------------- Clock

U = unix_of(datetime.datetime(2026, 11, 21, 10, 0, 0, tzinfo=UTC))  # 1795255200


def test_unsynced_clock():
    ticks = FakeTicks(5000)
    clock = Clock(ticks)
    assert clock.synced is False
    assert clock.now() is None
    ticks.advance(5000)
    stamp = clock.stamp()
    assert stamp == -1 - 5  # -1 - uptime seconds
    assert clock.resolve(stamp) is None
    # before any sync, iso() shows the uptime as a 1970 date
    ticks.advance(61500)
    assert clock.iso() == "1970-01-01T00:01:06Z"
    assert clock.iso(stamp) == "1970-01-01T00:00:05Z"


def test_set_and_now_count_whole_seconds():
    ticks = FakeTicks(1000)
    clock = Clock(ticks)
    clock.set(U)
    assert clock.synced
    assert clock.now() == U
    ticks.advance(999)
    assert clock.now() == U
    ticks.advance(1)
    assert clock.now() == U + 1
    ticks.advance(59 * 1000 + 500)
    assert clock.now() == U + 60
    assert clock.iso() == "2026-11-21T10:01:00Z"
    assert clock.stamp() == U + 60
    assert clock.resolve(U + 60) == U + 60


def test_set_iso_and_bad_text():
    clock = Clock(FakeTicks())
    clock.set_iso("2026-11-21T11:00:00+01:00")
    assert clock.now() == U
    with pytest.raises(ValueError):
        clock.set_iso("yesterday")
    assert clock.now() == U  # unchanged


def test_stamp_taken_before_sync_resolves_after_set():
    ticks = FakeTicks(1000)
    clock = Clock(ticks)
    early = clock.stamp()           # at tick 1000
    ticks.advance(7000)
    later = clock.stamp()           # at tick 8000
    ticks.advance(3000)             # synced at tick 11000
    clock.set(U)
    assert clock.resolve(early) == U - 10
    assert clock.resolve(later) == U - 3
    assert clock.iso(early) == "2026-11-21T09:59:50Z"
    assert clock.iso(later) == "2026-11-21T09:59:57Z"
    # a later re-anchor (> 1 h) must not change what an old stamp means
    ticks.advance(2 * HOUR_MS + 250)
    assert clock.now() == U + 7200
    assert clock.resolve(early) == U - 10
    assert clock.resolve(later) == U - 3


def test_stamp_before_sync_resolves_to_the_second():
    ticks = FakeTicks(10000)
    clock = Clock(ticks)
    ticks.advance(3400)
    s = clock.stamp()  # uptime 3 s
    ticks.advance(2250)
    clock.set(U)       # uptime 5 s: the event was 2 whole seconds earlier
    assert clock.resolve(s) == U - 2


@pytest.mark.parametrize("step_ms", [HOUR_MS, 7 * HOUR_MS + 123, 29 * HOUR_MS + 999, 1234567, 60 * HOUR_MS])
def test_clock_stays_right_over_five_days_across_tick_wraps(step_ms):
    # start just before the 2**29 ms wrap so that a wrap happens during the run
    ticks = FakeTicks(WRAP - 90 * 60 * 1000)
    clock = Clock(ticks)
    clock.set(U)
    elapsed = 0
    wrapped = 0
    while elapsed < 5 * DAY_MS:
        before = ticks()
        ticks.advance(step_ms)
        elapsed += step_ms
        if ticks() < before:
            wrapped += 1
        assert clock.now() == U + elapsed // 1000, elapsed
        # a stamp taken now still resolves to itself (it is unix seconds once synced)
        assert clock.resolve(clock.stamp()) == U + elapsed // 1000
    assert wrapped >= 1
    assert clock.iso() == format_iso(U + elapsed // 1000)


def test_clock_set_again_moves_to_the_new_time():
    ticks = FakeTicks(WRAP - 500)
    clock = Clock(ticks)
    clock.set(U)
    ticks.advance(10000)  # wraps
    assert clock.now() == U + 10
    clock.set(U + 3600)
    ticks.advance(1500)
    assert clock.now() == U + 3601


def _idle_charge_point():
    ticks = FakeTicks()
    conn = MemoryConnection()
    logs = []
    cp = ChargePoint(conn, ticks_ms=ticks, log=logs.append)
    cs = ScriptedCentralSystem(conn)
    for _ in range(10):
        cp.loop()
        cs.pump()
        ticks.advance(10)
    assert cp.accepted
    return ticks, cp, cs


def test_charge_point_clock_is_set_from_the_boot_answer():
    ticks, cp, cs = _idle_charge_point()
    assert cp.clock.synced
    assert cp.clock.now() == parse_iso(cs.time)
    # the statuses reported right after boot carry a real timestamp (not 1970)
    stamps = [p.get("timestamp") for a, p in cs.calls if a == "StatusNotification"]
    assert stamps and all(s is not None and s.startswith("2026-11-21T") for s in stamps)


def test_idle_charge_point_keeps_time_over_four_days_without_heartbeats():
    ticks, cp, cs = _idle_charge_point()
    cp.config.set("HeartbeatInterval", 0)
    start = cp.clock.now()
    for _ in range(4 * 24):
        ticks.advance(HOUR_MS)
        cp.loop()
        cs.pump()
    assert cs.count("Heartbeat") == 0
    assert cp.clock.now() == start + 4 * 24 * 3600
