"""Every example runs against the dev Central System over a real socket and does what it says."""
import os
import subprocess
import sys

from tools.central_system import CentralSystem

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_example(name, cs, cp_id, tmp_path, seconds):
    env = dict(os.environ, OCPP_URL=cs.url(cp_id), OCPP_STORE=str(tmp_path / "store"),
               EXAMPLE_SECONDS=str(seconds), PYTHONPATH=ROOT)
    env.pop("OCPP_AUTH_KEY", None)
    return subprocess.Popen([sys.executable, os.path.join(ROOT, "examples", name)], cwd=str(tmp_path),
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_vendor_messages(tmp_path):
    with CentralSystem(log=None) as cs:
        proc = run_example("vendor_messages.py", cs, "vendor-1", tmp_path, 6)
        try:
            cs.wait_for("BootNotification", cp_id="vendor-1")
            conf = cs.call("vendor-1", "GetConfiguration", {"key": ["MyTempReportInterval"]})
            assert conf["configurationKey"] == [{"key": "MyTempReportInterval", "readonly": False, "value": "10"}]
            assert cs.call("vendor-1", "ChangeConfiguration",
                           {"key": "MyTempReportInterval", "value": "1"}) == {"status": "Accepted"}
            reports = cs.wait_for("DataTransfer", count=2, cp_id="vendor-1", timeout=10)
            assert reports[0]["vendorId"] == "com.example" and reports[0]["messageId"] == "Temperature"
            assert '"celsius"' in reports[0]["data"]
            assert cs.call("vendor-1", "DataTransfer", {"vendorId": "com.example", "messageId": "Blink",
                                                        "data": "3"}) == {"status": "Accepted"}
            assert cs.call("vendor-1", "DataTransfer", {"vendorId": "org.other"})["status"] == "UnknownVendorId"
        finally:
            output = proc.communicate(timeout=30)[0]
        assert proc.returncode == 0, output
        assert "Central System asked to blink: 3" in output
        assert "temperature report: Accepted" in output
