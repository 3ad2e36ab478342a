"""OCPP 1.6 Measurand, UnitOfMeasure, Phase and Location values, for checking names the sketch
or the Central System gives. Imported only when one needs checking (engine/metering.py,
engine/config.py), so a charger that samples only energy and power never loads these tables.
Space-separated strings: a fraction of the RAM of tuples of strings on a microcontroller."""

MEASURANDS = (
    "Energy.Active.Export.Register Energy.Active.Import.Register Energy.Reactive.Export.Register "
    "Energy.Reactive.Import.Register Energy.Active.Export.Interval Energy.Active.Import.Interval "
    "Energy.Reactive.Export.Interval Energy.Reactive.Import.Interval Power.Active.Export "
    "Power.Active.Import Power.Offered Power.Reactive.Export Power.Reactive.Import Power.Factor "
    "Current.Import Current.Export Current.Offered Voltage Frequency Temperature SoC RPM")
# (some copies of the schemas also have "Hertz": not OCPP 1.6, refused by strict Central Systems)
UNITS = "Wh kWh varh kvarh W kW VA kVA var kvar A V K Celsius Celcius Fahrenheit Percent"
PHASES = "L1 L2 L3 N L1-N L2-N L3-N L1-L2 L2-L3 L3-L1"
LOCATIONS = "Body Cable EV Inlet Outlet"


def check(measurand, unit=None, phase=None, location=None):
    """ValueError naming the first value OCPP 1.6 does not have."""
    for value, allowed in ((measurand, MEASURANDS), (unit, UNITS), (phase, PHASES), (location, LOCATIONS)):
        if value is not None and value not in allowed.split():
            raise ValueError("%r is not one of OCPP 1.6's %s" % (value, allowed))
