"""The application behind a channel layer that loses messages (tests/e2e/lossy_layer.py), for the
end-to-end test of a layer that drops what it was given to send.

Run as `daphne tests.e2e.lossy_asgi:application` with `LOSSY_LAYER_DROP` (a fraction) set.
Everything else is the production application and settings.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "empathymap.settings")
django.setup()

from django.conf import settings  # noqa: E402

# Read by Channels on first use, after this: the same Redis and options, through the lossy class.
layer = settings.CHANNEL_LAYERS["default"]
layer["BACKEND"] = "tests.e2e.lossy_layer.LossyRedisChannelLayer"
layer["CONFIG"]["drop"] = float(os.environ["LOSSY_LAYER_DROP"])

from empathymap.asgi import application  # noqa: E402, F401
