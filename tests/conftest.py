import os
import sys

import pytest

# Make `tools` and `tests.support` importable. Appended, not prepended: the project root holds
# a `code.py` (the device sketch) that must not shadow the standard library's `code` module.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in [os.path.abspath(p or os.curdir) for p in sys.path]:
    sys.path.append(ROOT)

from tools.central_system import CentralSystem  # noqa: E402
from tests.support.foreign_cs import ForeignCentralSystem  # noqa: E402
from tests.support.schemas import validate_cp_messages  # noqa: E402
from tests.support import live  # noqa: E402

sketch = live.sketch  # the fixture: the facade's charge point, deinitialized after the test


@pytest.fixture(autouse=True)
def _own_store(tmp_path, monkeypatch):
    """Every test (and any sketch process it starts) journals into its own directory, never into
    ./ocpp_store, the facade's default store (ocpp_cp/storage: OCPP_STORE)."""
    monkeypatch.setenv("OCPP_STORE", str(tmp_path / "ocpp_store"))


@pytest.fixture
def central_system():
    """A dev Central System on an ephemeral port (``central_system.url("CP_1")``).

    At teardown every frame the charge point sent is checked against the OCPP 1.6 schemas."""
    cs = CentralSystem(log=None)
    cs.start()
    try:
        yield cs
    finally:
        cs.stop()
    validate_cp_messages(cs.messages)


@pytest.fixture
def foreign_central_system():
    """The ocpp-rpc (strictMode) Central System; teardown fails if it reported any error."""
    with ForeignCentralSystem() as fcs:
        yield fcs
    errors = fcs.errors()
    assert not errors, "The foreign Central System reported errors:\n%s" % fcs.dump()
