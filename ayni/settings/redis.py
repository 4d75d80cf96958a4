"""REDIS_URL switches the cache, the channel layer and the task queue.

Unset (the embedded default): a cache on disk shared by every process of the
machine (diskcache: SQLite files under var/cache/, atomic increments), so the
page cache, its content generation, rate limits and login lockouts hold across
the web server's worker processes and the task worker; an in-memory channel
layer per process (live counts re-read the database, see
participation.consumers); the database task queue (django-tasks-db, run by
``manage.py worker``).
Set: Redis cache, channels-redis and Redis Queue workers (django-tasks-rq).

Redis down means slower, not broken: the cache backend (ayni.cache) answers
"missing" while Redis cannot be reached (pages render uncached, rate limits
let requests through) and logs one line; /health/ says "degraded". The socket
timeouts bound what an unreachable Redis (one that drops packets instead of
refusing) costs a request.
"""

from ayni.env import VAR_DIR, env

REDIS_URL = env("REDIS_URL")
# Seconds to connect to Redis and to wait for each answer of the cache.
REDIS_SOCKET_TIMEOUT = float(env("REDIS_SOCKET_TIMEOUT", "1"))

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "ayni.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "ayni"),
            "OPTIONS": {"socket_connect_timeout": REDIS_SOCKET_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env("CHANNELS_PREFIX", "ayni")},
        }
    }
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
else:
    CACHES = {
        "default": {
            "BACKEND": "ayni.cache.SharedDiskCache",
            "LOCATION": str(VAR_DIR / "cache"),
            # Shards spread the writers of several processes over several SQLite files; a write
            # that waits longer than DATABASE_TIMEOUT is dropped (a cache miss), never an error.
            "SHARDS": 4,
            "DATABASE_TIMEOUT": 0.05,
            "OPTIONS": {"size_limit": 512 * 1024 * 1024},
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# In-memory layers do not cross processes: live-count pages re-read the counts this often.
LIVE_COUNTS_POLL_SECONDS = 0 if REDIS_URL else 3
