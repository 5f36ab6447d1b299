"""empathymap/websocket_speedups.py: autobahn's debug arguments, formatted only when written."""

import pytest
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


class Connection:
    """The state of a Twisted TCP connection that write_through reads, on a real socket."""

    TLS = False

    def __init__(self, sock):
        self.socket = sock
        self.connected = True
        self.disconnecting = False
        self._writeDisconnected = False
        self._tempDataBuffer = []
        self.dataBuffer = b""
        self.offset = 0
        self.buffered = []

    write = websocket_speedups.write_through(lambda self, data: self.buffered.append(data))


def socket_pair():
    import socket

    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    theirs.setblocking(False)
    return ours, theirs


def test_a_frame_goes_out_at_once_when_nothing_waits():
    ours, theirs = socket_pair()
    with ours, theirs:
        connection = Connection(ours)
        connection.write(b"frame one")
        connection.write(b"frame two")
        assert theirs.recv(100) == b"frame oneframe two"  # sent without the event loop
        assert connection.buffered == []


def test_twisted_keeps_what_waits_and_what_the_socket_did_not_take():
    ours, theirs = socket_pair()
    with ours, theirs:
        connection = Connection(ours)
        connection._tempDataBuffer = [b"earlier"]  # still waiting: it goes first, by Twisted
        connection.write(b"later")
        assert connection.buffered == [b"later"]
        with pytest.raises(BlockingIOError):
            theirs.recv(100)  # nothing jumped the queue
        connection._tempDataBuffer = []
        connection.buffered = []
        big = bytes(range(256)) * 40_000  # more than a socket pair's buffers hold
        connection.write(big)
        [rest] = connection.buffered
        taken = len(big) - len(rest)
        assert 0 < taken < len(big) and big[taken:] == rest


def test_closing_and_tls_connections_write_as_twisted_does():
    ours, theirs = socket_pair()
    with ours, theirs:
        connection = Connection(ours)
        connection.disconnecting = True
        connection.write(b"bye")
        connection.disconnecting, connection.TLS = False, True
        connection.write(b"secret")
        assert connection.buffered == [b"bye", b"secret"]


def test_the_served_application_writes_through_twisteds_tcp_connections():
    from twisted.internet import tcp

    import empathymap.asgi  # noqa: F401

    websocket_speedups.apply()  # twice changes nothing
    assert tcp.Connection.write.writes_through.__name__ == "write"
    assert not hasattr(tcp.Connection.write.writes_through, "writes_through")
