"""Metering (ocpp_cp.engine.metering): sampler validation and default units, periodic
(MeterValuesSampledData every MeterValueSampleInterval in a transaction) and clock-aligned
(MeterValuesAlignedData at multiples of ClockAlignedDataInterval from midnight UTC) MeterValues.

The scripted Central System's clock says 2026-11-21T10:00:00Z at boot.
"""
import pytest

from ocpp_cp.engine.clock import days_from_civil, parse_iso
from ocpp_cp.engine.measurands import MEASURANDS
from ocpp_cp.engine.metering import Meter, default_unit, next_aligned
from tests.support.cp_bench import ENERGY, POWER, Bench

MIDNIGHT = days_from_civil(2026, 11, 21) * 86400
BOOT = MIDNIGHT + 10 * 3600


def change(b, key, value):
    return b.result("ChangeConfiguration", {"key": key, "value": value})["status"]


def mv_stamp(mv):
    return parse_iso(mv["meterValue"][0]["timestamp"])


# ---------------------------------------------------------------- samplers

@pytest.mark.parametrize("measurand,unit", [
    ("Energy.Active.Import.Register", "Wh"), ("Energy.Active.Export.Interval", "Wh"),
    ("Energy.Reactive.Import.Register", "varh"), ("Power.Active.Import", "W"), ("Power.Offered", "W"),
    ("Power.Reactive.Export", "var"), ("Power.Factor", None), ("Current.Import", "A"),
    ("Current.Offered", "A"), ("Voltage", "V"), ("Temperature", "Celsius"), ("SoC", "Percent"),
    ("Frequency", None), ("RPM", None),
])
def test_default_units(measurand, unit):
    assert default_unit(measurand) == unit
    m = Meter()
    m.add(measurand, lambda: 1)
    [entry] = m.sample(measurand, "Sample.Periodic")
    assert entry.get("unit") == unit


def test_every_measurand_has_a_unit_the_schema_knows():
    from tests.support.schemas import validate
    m = Meter()
    for measurand in MEASURANDS.split():
        m.add(measurand, lambda: 1)
    values = m.sample(",".join(MEASURANDS.split()), "Sample.Clock")
    assert len(values) == 22
    validate("MeterValues", {"connectorId": 1, "meterValue": [{"timestamp": "2026-11-21T10:00:00Z",
                                                              "sampledValue": values}]})


@pytest.mark.parametrize("args", [
    ("Energy", None, None, None),
    ("energy.active.import.register", None, None, None),
    ("Voltage", "Volt", None, None),
    ("Voltage", "Hertz", None, None),  # in some schema copies, not in OCPP 1.6
    ("Voltage", None, "L4", None),
    ("Voltage", None, None, "Wall"),
])
def test_names_ocpp_does_not_have_are_refused(args):
    measurand, unit, phase, location = args
    with pytest.raises(ValueError):
        Meter().add(measurand, lambda: 1, unit=unit, phase=phase, location=location)


def test_phases_locations_and_replacement():
    m = Meter()
    for i, phase in enumerate(("L1", "L2", "L3")):
        m.add("Current.Import", (lambda v: lambda: v)(16 + i), phase=phase)
    m.add("Current.Import", lambda: 32, phase="L1")  # replaces the L1 sampler
    m.add("Temperature", lambda: 41.5, location="Body")
    m.add("SoC", lambda: 80)
    m.add("Voltage", lambda: None)  # no value this time: left out
    values = m.sample("Current.Import,Temperature,SoC,Voltage", "Sample.Periodic")
    assert sorted((v.get("phase"), v["value"]) for v in values if v["measurand"] == "Current.Import") == \
        [("L1", "32"), ("L2", "17"), ("L3", "18")]
    assert {"value": "41.5", "context": "Sample.Periodic", "measurand": "Temperature", "unit": "Celsius",
            "location": "Body"} in values
    assert {"value": "80", "context": "Sample.Periodic", "measurand": "SoC", "unit": "Percent",
            "location": "EV"} in values
    assert not [v for v in values if v["measurand"] == "Voltage"]


def test_energy_register_in_kwh_gives_wh_for_meter_start():
    m = Meter()
    m.add(ENERGY, lambda: 12.345, unit="kWh")
    assert m.energy_wh() == 12345


# ---------------------------------------------------------------- clock alignment

@pytest.mark.parametrize("now,interval,expected", [
    (BOOT, 900, BOOT + 900),                    # on a boundary: the next one
    (BOOT + 1, 900, BOOT + 900),
    (BOOT + 899, 900, BOOT + 900),
    (BOOT + 10, 3600, BOOT + 3600),
    (MIDNIGHT + 86399, 900, MIDNIGHT + 86400),
    (MIDNIGHT + 84001, 7000, MIDNIGHT + 86400),  # 7000 s does not divide a day: midnight restarts it
    (MIDNIGHT + 83999, 7000, MIDNIGHT + 84000),
    (MIDNIGHT + 5, 100000, MIDNIGHT + 86400),
])
def test_next_aligned(now, interval, expected):
    assert next_aligned(now, interval) == expected


def aligned_bench(**kw):
    """A Bench whose clock runs on: the scripted Central System answers every Heartbeat with
    10:00:00, which would set the clock back, so no Heartbeats."""
    b = Bench(**kw)
    b.cp.config.set("HeartbeatInterval", 0)
    return b


def clock_values(b):
    return [p for p in b.calls("MeterValues") if p["meterValue"][0]["sampledValue"][0]["context"] == "Sample.Clock"]


def test_clock_aligned_values_outside_a_transaction():
    b = aligned_bench(connectors=2)
    b.cp.connectors[0].meter.add(ENERGY, lambda: 99999)  # the whole charger's meter
    assert change(b, "ClockAlignedDataInterval", "900") == "Accepted"
    b.run(899000, 1000)
    assert clock_values(b) == []
    b.run(5000, 1000)
    sent = clock_values(b)
    assert sorted(p["connectorId"] for p in sent) == [0, 1, 2]
    for p in sent:
        assert "transactionId" not in p
        assert mv_stamp(p) == BOOT + 900
        # MeterValuesAlignedData defaults to the energy register
        assert [v["measurand"] for v in p["meterValue"][0]["sampledValue"]] == [ENERGY]
    assert {p["connectorId"]: p["meterValue"][0]["sampledValue"][0]["value"] for p in sent} == \
        {0: "99999", 1: "1000", 2: "2000"}
    b.run(900000, 1000)
    assert [mv_stamp(p) for p in clock_values(b)] == [BOOT + 900] * 3 + [BOOT + 1800] * 3
    b.check_schemas()


def test_clock_aligned_values_in_a_transaction_carry_its_id_and_the_aligned_measurands():
    b = aligned_bench(connectors=2)
    b.cp.config.set("MeterValueSampleInterval", 0)
    assert change(b, "MeterValuesAlignedData", "Energy.Active.Import.Register,Power.Active.Import") == "Accepted"
    assert change(b, "ClockAlignedDataInterval", "60") == "Accepted"
    b.hw[2]["plugged"] = True
    b.c(2).begin_session("TAG")
    b.run(65000, 1000)
    sent = clock_values(b)
    assert sorted(p["connectorId"] for p in sent) == [1, 2]
    by_id = {p["connectorId"]: p for p in sent}
    assert "transactionId" not in by_id[1] and by_id[2]["transactionId"] == b.c(2).running().transaction_id
    assert [v["measurand"] for v in by_id[2]["meterValue"][0]["sampledValue"]] == [ENERGY, POWER]
    assert mv_stamp(by_id[2]) == BOOT + 60
    b.check_schemas()


def test_clock_aligned_off_by_default_and_off_again_with_zero():
    b = aligned_bench()
    b.run(3600000, 5000)
    assert clock_values(b) == []
    assert change(b, "ClockAlignedDataInterval", "600") == "Accepted"
    b.run(1210000, 5000)
    assert len(clock_values(b)) == 2
    assert change(b, "ClockAlignedDataInterval", "0") == "Accepted"
    b.run(1200000, 5000)
    assert len(clock_values(b)) == 2


def test_changing_the_aligned_interval_reschedules():
    b = aligned_bench()
    assert change(b, "ClockAlignedDataInterval", "3600") == "Accepted"
    b.run(100000, 1000)
    assert change(b, "ClockAlignedDataInterval", "300") == "Accepted"  # next: 10:05, not 11:00
    b.run(210000, 1000)
    assert [mv_stamp(p) for p in clock_values(b)] == [BOOT + 300]


def test_a_clock_set_forward_sends_one_sample_stamped_with_the_last_boundary():
    b = aligned_bench()
    assert change(b, "ClockAlignedDataInterval", "900") == "Accepted"
    b.step(3)
    b.cp.clock.set(BOOT + 3 * 3600 + 100)  # e.g. a Heartbeat answer after a long drift
    b.step(3)
    assert [mv_stamp(p) for p in clock_values(b)] == [BOOT + 3 * 3600]
    b.cp.clock.set(BOOT)  # and back: rescheduled, not stuck for hours
    b.run(905000, 1000)
    assert [mv_stamp(p) for p in clock_values(b)] == [BOOT + 3 * 3600, BOOT + 900]


def test_no_clock_aligned_values_before_the_clock_is_known():
    b = Bench(boot=False)
    b.cs.boot_status = "Pending"
    b.cp.config.set("ClockAlignedDataInterval", 1)
    b.cp.clock.base = None
    b.conn.connected = False
    b.run(5000, 100)
    assert b.cp.rpc.queue == [] and clock_values(b) == []


# ---------------------------------------------------------------- periodic samples

def test_a_new_sample_interval_takes_effect_at_once():
    b = Bench()
    b.hw[1]["plugged"] = True
    b.c(1).begin_session("TAG")
    b.step(10)  # MeterValueSampleInterval 60: the first sample would come after a minute
    t0 = b.cp.clock.now()
    assert change(b, "MeterValueSampleInterval", "10") == "Accepted"
    b.run(31000, 500)
    stamps = [mv_stamp(p) - t0 for p in b.calls("MeterValues")]
    assert stamps == [10, 20, 30]
    b.check_schemas()


def test_sampled_data_per_phase_and_connector():
    b = Bench(connectors=2)
    b.cp.config.set("MeterValueSampleInterval", 5)
    for i, phase in enumerate(("L1", "L2", "L3")):
        b.c(2).meter.add("Current.Import", (lambda v: lambda: v)(10 + i), phase=phase)
        b.c(2).meter.add("Voltage", lambda: 230.5, phase=phase + "-N")
    assert change(b, "MeterValuesSampledData", "Current.Import,Voltage") == "Accepted"
    b.hw[2]["plugged"] = True
    b.c(2).begin_session("TAG")
    b.run(6000)
    [mv] = b.calls("MeterValues")
    assert mv["connectorId"] == 2
    values = mv["meterValue"][0]["sampledValue"]
    assert sorted((v["measurand"], v["phase"], v["value"], v["unit"]) for v in values) == [
        ("Current.Import", "L1", "10", "A"), ("Current.Import", "L2", "11", "A"), ("Current.Import", "L3", "12", "A"),
        ("Voltage", "L1-N", "230.5", "V"), ("Voltage", "L2-N", "230.5", "V"), ("Voltage", "L3-N", "230.5", "V")]
    b.check_schemas()
