"""A channels_redis layer that loses some of what it is given to send, as a Redis that drops
publishes (or a full channel that channels_redis empties without a word) would. Each
`group_send` is dropped with probability `drop`, and each drop logged with LOST_MARK, so that a
test knows how much was lost."""

import logging
import os
import random

from channels_redis.core import RedisChannelLayer

LOST_MARK = "LOSSY-LAYER-DROPPED"

logger = logging.getLogger(__name__)


class LossyRedisChannelLayer(RedisChannelLayer):
    def __init__(self, *args, drop: float = 0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.drop = drop
        self.rng = random.Random(os.getpid())  # noqa: S311 - chooses messages to lose, not keys

    async def group_send(self, group, message):
        if self.rng.random() < self.drop:
            seq = message.get("event", {}).get("seq")
            logger.warning("%s %s seq=%s", LOST_MARK, message.get("type"), seq)
            return
        await super().group_send(group, message)
