"""Meter samplers: functions the sketch registers, read into OCPP sampledValue lists."""

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
_UNITS = {ENERGY: "Wh", POWER: "W"}


class Sampler:
    def __init__(self, measurand, fn, unit=None, phase=None, location=None):
        self.measurand = measurand
        self.fn = fn
        self.unit = unit if unit is not None else _UNITS.get(measurand)
        self.phase = phase
        self.location = location


class Meter:
    """The samplers of one connector."""

    def __init__(self):
        self.samplers = []

    def add(self, measurand, fn, unit=None, phase=None, location=None):
        # a new sampler for the same measurand and phase replaces the old one
        self.samplers = [s for s in self.samplers if not (s.measurand == measurand and s.phase == phase)]
        self.samplers.append(Sampler(measurand, fn, unit, phase, location))

    def energy_wh(self):
        """Energy register for meterStart/meterStop (0 without an energy sampler)."""
        for s in self.samplers:
            if s.measurand == ENERGY and s.phase is None:
                return int(s.fn())
        return 0

    def sample(self, measurands, context):
        """sampledValue list for the comma-separated measurands that have a sampler."""
        wanted = [m.strip() for m in measurands.split(",")]
        values = []
        for s in self.samplers:
            if s.measurand in wanted:
                value = s.fn()
                if value is None:
                    continue
                entry = {"value": str(value), "context": context, "measurand": s.measurand}
                if s.unit:
                    entry["unit"] = s.unit
                if s.phase:
                    entry["phase"] = s.phase
                if s.location:
                    entry["location"] = s.location
                values.append(entry)
        return values
