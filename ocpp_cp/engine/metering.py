"""Meter samplers: functions the sketch registers, read into OCPP sampledValue lists.

A sampler is (measurand, fn, unit, phase, location); fn() returns a number (or None: no value
this time). The unit defaults per measurand (Wh, varh, W, var, A, V, Celsius, Percent; none for
Power.Factor, Frequency and RPM), SoC defaults to location EV. Clock-aligned data is sampled at
wall-clock multiples of ClockAlignedDataInterval counted from midnight UTC (next_aligned).
"""

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"


def default_unit(measurand):
    # the first matching prefix gives the default unit
    for prefix, unit in (("Energy.A", "Wh"), ("Energy.R", "varh"), ("Power.R", "var"), ("Power.F", None),
                         ("Power", "W"), ("Current", "A"), ("Voltage", "V"), ("Temperature", "Celsius"),
                         ("SoC", "Percent")):
        if measurand.startswith(prefix):
            return unit
    return None


def next_aligned(now, interval):
    """The first clock-aligned time after unix second now: midnight UTC + k * interval
    (the count starts again at every midnight, also when interval does not divide a day)."""
    day = now - now % 86400
    return min(now - (now - day) % interval + interval, day + 86400)


class Meter:
    """The samplers of one connector (connector 0: the whole charger's meter)."""

    def __init__(self):
        self.samplers = []   # (measurand, fn, unit, phase, location)
        self._wanted = (None, ())  # the last measurand list sample() was asked for, and its items

    def add(self, measurand, fn, unit=None, phase=None, location=None):
        """Register fn for a measurand; ValueError for names OCPP 1.6 does not have.
        A new sampler for the same measurand, phase and location replaces the old one."""
        if measurand not in (ENERGY, POWER) or unit or phase or location:
            from .measurands import check
            check(measurand, unit, phase, location)
        if unit is None:
            unit = default_unit(measurand)
        if location is None and measurand == "SoC":
            location = "EV"
        self.samplers = [s for s in self.samplers
                         if not (s[0] == measurand and s[3] == phase and s[4] == location)]
        self.samplers.append((measurand, fn, unit, phase, location))

    def measurands(self):
        return [s[0] for s in self.samplers]

    def energy_wh(self):
        """Energy register for meterStart/meterStop (0 without an energy sampler)."""
        for measurand, fn, unit, phase, _ in self.samplers:
            if measurand == ENERGY and phase is None:
                return int(fn() * (1000 if unit == "kWh" else 1))
        return 0

    def sample(self, measurands, context):
        """sampledValue list for the comma-separated measurands that have a sampler."""
        if measurands != self._wanted[0]:  # (parsed once, not at every sample)
            self._wanted = (measurands, [m.strip() for m in measurands.split(",")])
        wanted = self._wanted[1]
        values = []
        for measurand, fn, unit, phase, location in self.samplers:
            if measurand in wanted:
                value = fn()
                if value is None:
                    continue
                entry = {"value": str(value), "context": context, "measurand": measurand}
                if unit:
                    entry["unit"] = unit
                if phase:
                    entry["phase"] = phase
                if location:
                    entry["location"] = location
                values.append(entry)
        return values
