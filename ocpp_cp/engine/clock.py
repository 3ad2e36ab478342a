"""UTC wall clock for OCPP timestamps, kept in integer seconds on top of ms ticks.

Devices have no datetime/gmtime and only 30-bit floats, so dates are computed from
day counts (proleptic Gregorian calendar) and time is never held in float seconds.
"""
from adafruit_ticks import ticks_add, ticks_diff
from micropython import const

_REANCHOR_MS = const(3600000)  # ticks_diff is only valid within ~3 days: move the base hourly


def days_from_civil(year, month, day):
    """Days since 1970-01-01 for a calendar date."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def civil_from_days(days):
    """(year, month, day) for a number of days since 1970-01-01."""
    days += 719468
    era = days // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def days_in_month(year, month):
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def format_iso(unix):
    """Unix seconds -> '2026-11-21T10:00:00Z'."""
    days, secs = divmod(unix, 86400)
    y, m, d = civil_from_days(days)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (y, m, d, secs // 3600, secs // 60 % 60, secs % 60)


def parse_iso(text):
    """'2026-11-21T10:00:00[.123][Z|+01:00]' -> unix seconds (int). Raises ValueError."""
    if not isinstance(text, str) or len(text) < 19 or text[4] != "-" or text[7] != "-" \
            or text[10] not in ("T", "t", " ") or text[13] != ":" or text[16] != ":":
        raise ValueError("not an ISO-8601 date-time: %r" % (text,))
    y, mo, d = int(text[0:4]), int(text[5:7]), int(text[8:10])
    h, mi, s = int(text[11:13]), int(text[14:16]), int(text[17:19])
    if not (1 <= mo <= 12 and 1 <= d <= days_in_month(y, mo) and h < 24 and mi < 60 and s < 61):
        raise ValueError("date-time out of range: %r" % (text,))
    rest = text[19:]
    if rest[:1] == ".":  # fractional seconds are dropped
        i = 1
        while i < len(rest) and rest[i] in "0123456789":
            i += 1
        rest = rest[i:]
    offset = 0
    if rest in ("", "Z", "z"):
        pass  # no zone: OCPP says UTC
    elif len(rest) in (5, 6) and rest[0] in "+-":
        oh, om = int(rest[1:3]), int(rest[-2:])
        offset = (oh * 3600 + om * 60) * (1 if rest[0] == "+" else -1)
    else:
        raise ValueError("bad time zone in %r" % (text,))
    return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset


class Clock:
    """Uptime in seconds that never wraps, plus the wall clock set from the Central System.

    Event times are 'stamps': unix seconds when the clock was set at the time, otherwise
    -1 - uptime seconds of the event, resolved once the Central System tells the time.
    """

    def __init__(self, ticks_ms):
        self.ticks_ms = ticks_ms
        self._anchor = ticks_ms()  # ticks at which _up seconds had elapsed
        self._up = 0
        self.base = None  # unix time at uptime 0; None until synced

    @property
    def synced(self):
        return self.base is not None

    def uptime(self, now=None):
        """Whole seconds since start-up. ticks wrap after ~6 days and ticks_diff only
        reaches ~3 days, so the anchor moves forward hourly; the loop calls this."""
        elapsed = ticks_diff(self.ticks_ms() if now is None else now, self._anchor)
        if elapsed >= _REANCHOR_MS:
            whole = elapsed // 1000
            self._up += whole
            self._anchor = ticks_add(self._anchor, whole * 1000)
            elapsed -= whole * 1000
        return self._up + elapsed // 1000

    def set(self, unix):
        self.base = unix - self.uptime()

    def set_iso(self, text):
        self.set(parse_iso(text))

    def now(self):
        """Unix seconds, or None before the first sync."""
        return None if self.base is None else self.base + self.uptime()

    def stamp(self):
        up = self.uptime()
        return self.base + up if self.base is not None else -1 - up

    def resolve(self, stamp):
        """Unix seconds of a stamp, or None while it cannot be known yet."""
        if stamp >= 0:
            return stamp
        return None if self.base is None else self.base + (-1 - stamp)

    def iso(self, stamp=None):
        """ISO-8601 of a stamp (default: now). Before any sync: uptime after 1970, marked so by the year."""
        if stamp is None:
            stamp = self.stamp()
        unix = self.resolve(stamp)
        return format_iso(unix if unix is not None else -1 - stamp)
