"""Work daphne's websocket stack does on every frame and buys nothing here, skipped at start-up.

autobahn (daphne's websocket protocol) computes the arguments of its debug log lines whether
debug logging is on or not: every frame sent or received formats `hltype(method)` and
`hlval(...)`, which colour their text with click's escape codes. On a board of 500 viewers that
was about a tenth of the process's CPU (py-spy, docs/performance.md). The names as autobahn's
modules imported them are replaced with versions that format only when a log line is written:
the text of a debug line is unchanged.
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


def apply() -> None:
    import importlib

    for module_name, names in DEFERRED.items():
        module = importlib.import_module(module_name)
        for name in names:
            function = getattr(module, name)
            if not hasattr(function, "defers"):
                setattr(module, name, deferring(function))
