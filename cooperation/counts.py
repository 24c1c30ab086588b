"""Counts whose cost does not grow with every request.

A page shows a few rows, but its totals ("20,009 results", a dashboard's status
matrix, each nation's open recommendations) are counted over every row released to
the reader: work that grows with the data. Those numbers change only when a record
changes, so they are computed once and kept in Django's cache until then.

- The cache key is the SQL of the query (with its parameters) under the current
  *data generation*. The SQL carries the reader's releasability condition (their
  nation, or none for those who see everything), so two readers share a count only
  when they would run the very same query: a count never crosses releasability.
- The generation is a random token in the cache; any write to a model of this app
  (save, delete, many-to-many change, through the ORM's signals) replaces it, both
  at once and again when the transaction commits, so no count computed before a
  change is read after it. Bulk writes that send no signals (``bulk_create``,
  ``QuerySet.update``) call :func:`records_changed` themselves (the seed commands, outside any
  transaction, :func:`data_changed`).
- Entries also expire after ``COUNT_CACHE_SECONDS`` as a backstop.

With several processes (gunicorn workers, app servers) the cache must be shared
(``REDIS_URL=redis://…``, see the README): a per-process memory cache would
not see another process's generation change.
"""

import contextlib
import contextvars
import hashlib
import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import transaction

logger = logging.getLogger(__name__)

GENERATION_KEY = "cooperation:data-generation"


class _Unavailable(Exception):
    """The cache did not answer: compute without it."""


def _cache_call(method, *args):
    try:
        return getattr(cache, method)(*args)
    except Exception as error:  # a cache server that is down or does not answer
        logger.warning("Cache unavailable (%s): counting without it.", error)
        raise _Unavailable from error


# Within a request, each token is read from the cache once (a page reads the data
# generation several times): the first read fetches, in one round trip, every token
# the ``batched_token`` functions name for the signed-in user. A write replaces the
# token in the cache and here at once; another process's write is seen by the next
# request. Outside a request (the worker, commands) every read goes to the cache.
_request_tokens = contextvars.ContextVar("cooperation_request_tokens", default=None)
_BATCH = "batch"
_BATCHED_TOKENS = []


def batched_token(function):
    """Register ``function(user_pk)``: the key of a token most pages read for that
    user (None: none), fetched with the data generation in a request's first read."""
    _BATCHED_TOKENS.append(function)
    return function


@contextlib.contextmanager
def request_tokens(user_pk=None):
    """Read each token once while the block runs (one request, for ``user_pk``)."""
    keys = [GENERATION_KEY]
    for function in _BATCHED_TOKENS:
        key = function(user_pk)
        if key and key not in keys:
            keys.append(key)
    reset = _request_tokens.set({_BATCH: keys})
    try:
        yield
    finally:
        _request_tokens.reset(reset)


def _remembered(key):
    """The token under ``key`` if this request has read it (fetching the batch on
    its first read), else None."""
    memo = _request_tokens.get()
    if memo is None:
        return None
    batch = memo.pop(_BATCH, None)
    if batch is not None:
        keys = batch if key in batch else [key, *batch]
        try:
            memo.update(_cache_call("get_many", keys))
        except _Unavailable:
            return None
    return memo.get(key)


def _remember(key, value):
    memo = _request_tokens.get()
    if memo is not None:
        memo[key] = value


def token(key):
    """The token stored under ``key`` (a generation), created when missing; None
    when the cache does not answer."""
    value = _remembered(key)
    if value is not None:
        return value
    try:
        value = _cache_call("get", key)
        if value is None:
            value = uuid.uuid4().hex
            if not _cache_call("add", key, value, None):
                value = _cache_call("get", key) or value
    except _Unavailable:
        return None
    _remember(key, value)
    return value


def replace_token(key):
    """A new token under ``key``: what was kept under the old one is forgotten."""
    # When the cache is down, its entries expire after COUNT_CACHE_SECONDS anyway.
    value = uuid.uuid4().hex
    try:
        _cache_call("set", key, value, None)
    except _Unavailable:
        value = None
    _remember(key, value)


def cache_get(key):
    """``cache.get(key)``, or None when the cache does not answer."""
    try:
        return _cache_call("get", key)
    except _Unavailable:
        return None


def cache_set(key, value, timeout):
    with contextlib.suppress(_Unavailable):
        _cache_call("set", key, value, timeout)


def cache_add(key, value, timeout):
    """``cache.add(key, ...)``: True when this call stored it; False when the key
    was there already or the cache does not answer."""
    try:
        return bool(_cache_call("add", key, value, timeout))
    except _Unavailable:
        return False


def cache_delete(key):
    with contextlib.suppress(_Unavailable):
        _cache_call("delete", key)


def generation():
    """The current data generation (a token that any write replaces)."""
    value = token(GENERATION_KEY)
    if value is None:
        raise _Unavailable
    return value


def current_generation():
    """The current data generation, or None when the cache does not answer (then
    nothing may be kept under it)."""
    return token(GENERATION_KEY)


def data_changed():
    """Forget every cached count: the data they were counted on has changed."""
    replace_token(GENERATION_KEY)


def _key(kind, queryset):
    sql, params = queryset.query.sql_with_params()
    digest = hashlib.sha256(repr((queryset.db, sql, params)).encode()).hexdigest()
    return f"cooperation:{kind}:{generation()}:{digest}"


def _cached(kind, queryset, compute):
    try:
        key = _key(kind, queryset)
        value = _cache_call("get", key)
    except EmptyResultSet:
        return compute()  # a query that cannot match (``none()``) costs nothing
    except _Unavailable:
        return compute()
    if value is None:
        value = compute()
        with contextlib.suppress(_Unavailable):
            _cache_call("set", key, value, settings.COUNT_CACHE_SECONDS)
    return value


def cached_count(queryset):
    """``queryset.count()``, computed once per data generation and query."""
    # Only the rows matter: neither their order nor what is read from them.
    queryset = queryset.order_by().values("pk")
    return _cached("count", queryset, queryset.count)


def cached_rows(queryset):
    """``list(queryset)`` of an aggregate ``values_list()`` (a few rows of plain
    values, such as counts grouped by status), computed once per data generation."""
    return _cached("rows", queryset, lambda: list(queryset))


def cached_value(kind, *parts, compute, tokens=()):
    """``compute()`` kept once per data generation under ``kind`` and ``parts``
    (plain values naming what the value depends on, such as a user's pk), and under
    the current value of each of ``tokens`` (keys that ``replace_token`` renews when
    a write that sends no signal changes the value). Unlike ``cached_count``, the
    key needs no query: a value read on every page costs a cache read, not the
    building of its SQL."""
    try:
        current = [generation(), *(token(key) or "" for key in tokens)]
        key = ":".join(["cooperation", kind, *current, *map(str, parts)])
        value = _cache_call("get", key)
    except _Unavailable:
        return compute()
    if value is None:
        value = compute()
        with contextlib.suppress(_Unavailable):
            _cache_call("set", key, value, settings.COUNT_CACHE_SECONDS)
    return value


# Models whose writes change no count a page shows: each login (or PDF briefing asked
# for) would otherwise throw every count away.
_IGNORED_MODELS = {"usersession", "briefing"}


def records_changed(using=None):
    """Announce a write that sends no model signal (``bulk_create``,
    ``QuerySet.update``): what was kept under the current generation is forgotten,
    at once and again when the transaction commits."""
    data_changed()
    transaction.on_commit(data_changed, using=using)


def _on_write(sender, **kwargs):
    if kwargs.get("update_fields") == frozenset({"last_login"}):
        return  # a sign-in
    records_changed(using=kwargs.get("using"))


def connect():
    """Listen to the writes of this app's models (their many-to-many tables
    included), each by its sender: a receiver of every model's ``post_delete`` would
    cost every other model Django's fast delete."""
    from django.apps import apps
    from django.db.models.signals import m2m_changed, post_delete, post_save

    config = apps.get_app_config("cooperation")
    for model in config.get_models(include_auto_created=True):
        name = model._meta.model_name
        if name in _IGNORED_MODELS or name.startswith("historical"):
            continue  # history rows are written with the record they follow
        uid = f"cooperation.counts.{name}"
        post_save.connect(_on_write, sender=model, dispatch_uid=uid)
        post_delete.connect(_on_write, sender=model, dispatch_uid=uid)
        m2m_changed.connect(_on_write, sender=model, dispatch_uid=uid)  # a through
