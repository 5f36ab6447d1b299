"""Work daphne's websocket stack does on every frame and buys nothing here, skipped at start-up.

autobahn (daphne's websocket protocol) computes the arguments of its debug log lines whether
debug logging is on or not: every frame sent or received formats `hltype(method)` and
`hlval(...)`, which colour their text with click's escape codes. On a board of 500 viewers that
was about a tenth of the process's CPU (py-spy, docs/performance.md). The names as autobahn's
modules imported them are replaced with versions that format only when a log line is written:
the text of a debug line is unchanged.

Twisted's TCP transport buffers every write and asks the event loop to say when the socket
can take it: each frame sent cost two `epoll_ctl` calls (registering the socket for writing,
then unregistering it) and a pass of the loop before the `send`, about a quarter of a crowded
board's CPU. A socket with nothing waiting to go can nearly always take a frame at once, as
asyncio's own transports assume: `write_through` sends it then, and leaves to Twisted only
what the socket did not take (and every write of a socket with data still waiting, of a TLS
connection, or of one that is closing), so the order of the bytes is unchanged.
"""

import functools

# The autobahn modules, and the names in them, whose results only ever go to log calls.
DEFERRED = {
    "autobahn.websocket.protocol": ("hltype", "hlval"),
    "autobahn.twisted.websocket": ("hltype", "hlval"),
}


class Deferred:
    """A log argument formatted when the log line is written, if ever."""

    __slots__ = ("function", "args", "kwargs")

    def __init__(self, function, args, kwargs):
        self.function = function
        self.args = args
        self.kwargs = kwargs

    def __str__(self) -> str:
        return self.function(*self.args, **self.kwargs)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def deferring(function):
    @functools.wraps(function)
    def deferred(*args, **kwargs):
        return Deferred(function, args, kwargs)

    deferred.defers = function
    return deferred


def write_through(buffered_write):
    """tcp.Connection.write, sending at once what the socket takes when nothing is waiting."""

    @functools.wraps(buffered_write)
    def write(self, data):
        if (
            data
            and not self._tempDataBuffer
            and self.offset == len(self.dataBuffer)
            and self.connected
            and not self.disconnecting
            and not self._writeDisconnected
            and not self.TLS
        ):
            try:
                sent = self.socket.send(data)
            except OSError:
                # Would block, or the connection failed: Twisted's own write finds out.
                sent = 0
            if sent == len(data):
                return None
            data = memoryview(data)[sent:].tobytes() if sent else data
        return buffered_write(self, data)

    write.writes_through = buffered_write
    return write


def apply() -> None:
    import importlib

    from twisted.internet import tcp

    if not hasattr(tcp.Connection.write, "writes_through"):
        tcp.Connection.write = write_through(tcp.Connection.write)

    for module_name, names in DEFERRED.items():
        module = importlib.import_module(module_name)
        for name in names:
            function = getattr(module, name)
            if not hasattr(function, "defers"):
                setattr(module, name, deferring(function))
