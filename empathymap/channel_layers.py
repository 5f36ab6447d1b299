"""channels_redis' layer, where a group message may leave out one member.

A process hands the events it writes to its own sockets at once (maps.feeds.MapFeed.publish)
and sends them to the map's group only for the feeds of other processes. Its own feed is a
member of that group too: without this, every write came back to the process that made it,
a Redis pop, a decode and a dispatch for nothing. A message that names a channel under
`SKIP_CHANNEL` goes to every member but that one. Other layers ignore the key, and a feed
drops an event it has handed out already, so the key only saves work, it is never needed.
"""

from channels_redis import core

SKIP_CHANNEL = "skip_channel"


class RedisChannelLayer(core.RedisChannelLayer):
    def _map_channel_keys_to_connection(self, channel_names, message):
        # group_send's one step between reading the group's members and sending to them.
        skip = message.get(SKIP_CHANNEL)
        if skip is not None:
            channel_names = [name for name in channel_names if name != skip]
        return super()._map_channel_keys_to_connection(channel_names, message)
