from .base import *  # noqa: F401,F403
from .base import env, logging_config

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# People read the local server's logs in a terminal.
LOGGING = logging_config(fmt=env("LOG_FORMAT", default="console"), level=env("LOG_LEVEL", default="INFO"))
