"""Django's Redis cache backend, without building a redis client for every cache call.

`RedisCacheClient.get_client` makes a new `redis.Redis` per operation, and redis-py fills a
table of ~170 response callbacks each time: about 0.1 ms, paid several times per search page.
A `redis.Redis` is thread-safe (each command borrows a connection from the pool), so one per
pool is enough. Behaviour is otherwise Django's own.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ReusedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
