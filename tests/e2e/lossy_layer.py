"""A channels_redis layer that loses some of what it is given to send, as a Redis that drops
publishes (or a full channel that channels_redis empties without a word) would. Each
`group_send` is dropped with probability `drop` (each event of a `map.events` message on its
own), and each drop logged with LOST_MARK, so that a test knows how much was lost."""

import logging
import os
import random

from empathymap.channel_layers import RedisChannelLayer

LOST_MARK = "LOSSY-LAYER-DROPPED"

logger = logging.getLogger(__name__)


class LossyRedisChannelLayer(RedisChannelLayer):
    def __init__(self, *args, drop: float = 0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.drop = drop
        self.rng = random.Random(os.getpid())  # noqa: S311 - chooses messages to lose, not keys

    async def group_send(self, group, message):
        if message.get("type") == "map.events":
            # The events of a batch of ops travel together: each is lost on its own, as if it had
            # been sent alone, so that a test counts lost events whatever the batching.
            kept = []
            for event in message["events"]:
                if self.rng.random() < self.drop:
                    logger.warning("%s map.event seq=%s", LOST_MARK, event.get("seq"))
                else:
                    kept.append(event)
            if kept:
                await super().group_send(group, {**message, "events": kept})
            return
        if self.rng.random() < self.drop:
            seq = message.get("event", {}).get("seq")
            logger.warning("%s %s seq=%s", LOST_MARK, message.get("type"), seq)
            return
        await super().group_send(group, message)
