"""Several connectors on one charge point: NumberOfConnectors from OCPP_initialize(connectors=N),
connectorId on every facade call that concerns a connector, and simultaneous transactions
(in memory, and against the dev Central System over a real socket on 127.0.0.1).
"""
import inspect
import time

import pytest

import ocpp_cp
from ocpp_cp import facade as F
from tests.support.cp_bench import ENERGY, Bench
from tests.support.live import Car, loop_until

# facade calls about one connector: each takes connectorId (default 1)
CONNECTOR_CALLS = (
    "startTransaction", "stopTransaction", "beginSession", "endSession", "isInSession", "getSessionIdTag",
    "ocppPermitsCharge", "getTransactionId", "getConnectorStatus", "isAvailable", "isOperative",
    "setEnergyActiveImportSampler", "setPowerActiveImportSampler", "addMeterValueSampler",
    "setConnectorPluggedSampler", "setEvRequestsEnergySampler", "setConnectorEnergizedSampler",
    "addConnectorErrorCodeSampler",
)


@pytest.mark.parametrize("name", CONNECTOR_CALLS)
def test_every_connector_call_takes_connector_id(name):
    param = inspect.signature(getattr(F, name)).parameters.get("connectorId")
    assert param is not None and param.default == 1


def test_two_overlapping_transactions_in_memory():
    b = Bench(connectors=2)
    b.cp.config.set("MeterValueSampleInterval", 5)
    assert b.cp.config.get("NumberOfConnectors") == 2
    b.hw[1]["plugged"] = True
    b.c(1).begin_session("ONE")
    b.run(3000)
    b.hw[2]["plugged"] = True
    b.c(2).begin_session("TWO")
    b.run(8000)
    ids = {i: b.c(i).running().transaction_id for i in (1, 2)}
    assert ids[1] != ids[2]
    for i in (1, 2):
        b.hw[i]["energy"] += 100 * i
    b.hw[1]["plugged"] = False  # connector 1 ends, connector 2 goes on
    b.run(6000)
    assert b.c(1).running() is None and b.c(2).status == "Charging" and b.c(2).permits_charge()
    b.c(2).end_session()
    b.run(2000)
    starts = b.calls("StartTransaction")
    assert [(s["connectorId"], s["idTag"], s["meterStart"]) for s in starts] == [(1, "ONE", 1000), (2, "TWO", 2000)]
    for mv in b.calls("MeterValues"):
        assert mv["transactionId"] == ids[mv["connectorId"]]
        energy = [v for v in mv["meterValue"][0]["sampledValue"] if v["measurand"] == ENERGY][0]
        assert int(energy["value"]) // 1000 == mv["connectorId"]  # connector i reads ~i * 1000 Wh
    assert {mv["connectorId"] for mv in b.calls("MeterValues")} == {1, 2}
    stops = {s["transactionId"]: s for s in b.calls("StopTransaction")}
    assert stops[ids[1]]["meterStop"] == 1100 and stops[ids[1]]["reason"] == "EVDisconnected"
    assert stops[ids[2]]["meterStop"] == 2200 and stops[ids[2]]["reason"] == "Local"
    assert b.statuses(1) == ["Available", "Preparing", "Charging", "Available"]
    assert b.statuses(2) == ["Available", "Preparing", "Charging", "Finishing"]
    assert b.statuses(0) == ["Available"]
    b.check_schemas()


# ---------------------------------------------------------------- real socket

def test_two_overlapping_transactions_against_the_dev_central_system(central_system, sketch):
    cs = central_system
    cars = {1: Car(10000, power=3000), 2: Car(50000, power=6000)}
    F.OCPP_initialize(cs.url("CP_M"), connectors=2, log=lambda m: None)
    for i, car in cars.items():
        car.wire(i)
    F.bootNotification("Twin", "ocpp_cp")
    cs.wait_for("BootNotification", pump=F.OCPP_loop)
    loop_until(lambda: F.getChargePoint().accepted)
    conf = cs.call("CP_M", "GetConfiguration", {"key": ["NumberOfConnectors"]}, pump=F.OCPP_loop)
    assert conf["configurationKey"][0]["value"] == "2"
    assert cs.call("CP_M", "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "1"},
                   pump=F.OCPP_loop) == {"status": "Accepted"}
    cars[1].plugged = True
    assert F.beginSession("CARD-1", connectorId=1)
    loop_until(lambda: F.getTransactionId(1) > 0)
    cars[2].plugged = True
    assert F.beginSession("CARD-2", connectorId=2)
    loop_until(lambda: F.getTransactionId(2) > 0)
    tx = {i: F.getTransactionId(i) for i in (1, 2)}
    assert tx[1] != tx[2] and F.ocppPermitsCharge(1) and F.ocppPermitsCharge(2)
    assert F.getSessionIdTag(1) == "CARD-1" and F.getSessionIdTag(2) == "CARD-2"
    loop_until(lambda: {m.get("connectorId") for m in cs.calls("MeterValues", cp_id="CP_M")} >= {1, 2})
    cars[1].wh += 11
    cars[1].plugged = False            # connector 1 stops while connector 2 charges on
    loop_until(lambda: len(cs.calls("StopTransaction")) == 1)
    time.sleep(0.05)
    loop_until(lambda: F.getConnectorStatus(1) == "Available")
    assert F.getConnectorStatus(2) == "Charging" and F.ocppPermitsCharge(2)
    cars[2].wh += 22
    F.endSession(connectorId=2)
    loop_until(lambda: len(cs.calls("StopTransaction")) == 2)
    loop_until(lambda: cs.connector_status.get(("CP_M", 2)) == "Finishing")
    # the Central System's view: each transaction on its connector, with its own meter
    server = cs.transactions
    assert server[tx[1]]["connector_id"] == 1 and server[tx[2]]["connector_id"] == 2
    assert (server[tx[1]]["meter_start"], server[tx[1]]["meter_stop"]) == (10000, 10011)
    assert (server[tx[2]]["meter_start"], server[tx[2]]["meter_stop"]) == (50000, 50022)
    assert server[tx[1]]["reason"] == "EVDisconnected" and server[tx[2]]["reason"] == "Local"
    for mv in cs.calls("MeterValues"):
        assert mv["transactionId"] == tx[mv["connectorId"]]
        power = [v for v in mv["meterValue"][0]["sampledValue"] if v["measurand"] == "Power.Active.Import"]
        assert power[0]["value"] == str(3000 * mv["connectorId"])
    statuses = {i: [p["status"] for p in cs.calls("StatusNotification") if p["connectorId"] == i] for i in (0, 1, 2)}
    assert statuses[0] == ["Available"]
    assert statuses[1][-3:] == ["Preparing", "Charging", "Available"]
    assert statuses[2][-3:] == ["Preparing", "Charging", "Finishing"]
    assert ocpp_cp.getChargePoint().config.get("NumberOfConnectors") == 2
