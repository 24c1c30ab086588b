"""Sessions read from the shared cache and kept in the database, whose cache may stop
answering: the session engine when ``REDIS_URL`` is set (``portal/settings.py``).

Django's "cached_db" engine already saves through the database when the cache
fails; it does not when a session missing from the cache is loaded (it caches what it
read), nor for ``exists`` (asked when a session key is handed out, at every sign-in)
and ``delete`` (sign-out). Here they fall back to the database too, so a Redis
outage costs speed, never a page or a sign-in. A sign-out while the cache is down
deletes the session from the database and logs an error: the cached copy then lives
at most until its expiry, or until Redis restarts without it.
"""

import logging

from django.contrib.sessions.backends import cached_db, db

logger = logging.getLogger("django.contrib.sessions")


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            return super().load()
        except Exception as error:  # a cache server that is down or does not answer
            logger.warning("Session cache unavailable (%s): read the database.", error)
            return db.SessionStore.load(self)

    def exists(self, session_key):
        try:
            return super().exists(session_key)
        except Exception as error:  # a cache server that is down or does not answer
            logger.warning("Session cache unavailable (%s): asked the database.", error)
            return db.SessionStore.exists(self, session_key)

    def delete(self, session_key=None):
        try:
            super().delete(session_key)
        except Exception:  # the database row is gone; the cached copy may remain
            logger.exception("Session cache unavailable: a session was not uncached.")
