"""empathymap/websocket_speedups.py: autobahn's debug arguments, formatted only when written."""

from autobahn.util import hltype, hlval
from autobahn.websocket import protocol

from empathymap import websocket_speedups


def test_the_served_application_defers_autobahns_debug_formatting():
    import empathymap.asgi  # noqa: F401 - applies the speedups, as daphne's import does

    assert isinstance(
        protocol.hltype(protocol.WebSocketProtocol.sendData), websocket_speedups.Deferred
    )


def test_a_deferred_argument_reads_as_the_original_would():
    websocket_speedups.apply()
    websocket_speedups.apply()  # twice changes nothing
    method = protocol.WebSocketProtocol.sendData
    assert str(protocol.hltype(method)) == hltype(method)
    assert f"{protocol.hlval(1234)}" == hlval(1234)
    assert f"{protocol.hlval('peer', color='green')}" == hlval("peer", color="green")
    assert protocol.hltype.defers is hltype


def test_what_the_served_application_loaded_is_left_out_of_full_collections():
    import gc

    import empathymap.asgi  # noqa: F401

    assert gc.get_freeze_count() > 10_000
