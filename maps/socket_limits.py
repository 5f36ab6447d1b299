"""Limits on what one websocket client can make a process do (settings WS_*; see
docs/reliability.md): message size, ops per connection and connections per user."""

import threading
import time

from django.conf import settings

# The message was larger than WS_MAX_MESSAGE_BYTES: RFC 6455's 1009 ("message too big") moved
# into the application range, because daphne (autobahn) lets an application close only with
# 1000 or 3000-4999 and silently keeps the socket open otherwise.
CLOSE_TOO_BIG = 4009
# This user already has WS_MAX_CONNECTIONS_PER_USER sockets open to this process.
CLOSE_TOO_MANY = 4429


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; take() spends one if there is one."""

    def __init__(self, *, rate: float, burst: int, clock=time.monotonic):
        self.rate = rate
        self.burst = max(1, burst)
        self.tokens = float(self.burst)
        self.clock = clock
        self.updated = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def wait_seconds(self) -> float:
        """How long until the next token."""
        return max(0.0, (1 - self.tokens) / self.rate) if self.rate > 0 else 60.0


def op_bucket() -> TokenBucket:
    return TokenBucket(rate=settings.WS_OP_RATE, burst=settings.WS_OP_BURST)


class ConnectionCounter:
    """Open sockets per user in this process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.open: dict[int, int] = {}

    def acquire(self, user_id: int) -> bool:
        with self.lock:
            count = self.open.get(user_id, 0)
            if count >= settings.WS_MAX_CONNECTIONS_PER_USER:
                return False
            self.open[user_id] = count + 1
            return True

    def release(self, user_id: int) -> None:
        with self.lock:
            count = self.open.get(user_id, 0) - 1
            if count > 0:
                self.open[user_id] = count
            else:
                self.open.pop(user_id, None)


connections = ConnectionCounter()


def message_size(text_data, bytes_data) -> int:
    if text_data is not None:
        # Characters, not bytes: a cheap bound (a character is 1 to 4 bytes) without encoding.
        return len(text_data)
    return len(bytes_data or b"")
