"""The embedded broker goes away with everything it started, however it is stopped."""

from __future__ import annotations

import pytest

from services.kernel.embedded_broker import EmbeddedBroker, free_port, port_is_open
from tests.integration.test_stack import _processes_using

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("how", ["stop", "stop-impatient", "kill"])
def test_no_broker_process_outlives_stopping_it(tmp_path, how):
    broker = EmbeddedBroker(tmp_path / "broker", free_port())
    broker.start()
    assert _processes_using(tmp_path / "broker")
    if how == "stop":
        broker.stop()
    elif how == "stop-impatient":  # a broker too slow to save its state is killed
        broker.stop(timeout=0.001)
    else:
        broker.kill()
    assert _processes_using(tmp_path / "broker") == []
    assert not port_is_open(broker.host, broker.port)
    broker.start()  # and the port and data dir are free for the next start
    broker.stop()
