"""One search across the portal's records: initiatives, meetings (title, agenda,
published minutes), situation assessments, recommendations (title, description and
timeline notes) and document titles.

Every kind is read from its own ``visible_to(user)`` queryset, so a search shows
exactly what the lists show: a timeline note through its recommendation, an agenda
item and an assessment through their meeting, a document through its parent (and
only while it is current). Each kind reads at most ``PER_KIND`` rows, ranked, and
counts its matches up to ``COUNT_LIMIT`` (shown as "100+" beyond).

On PostgreSQL the match is full text: each table has a GIN index on one tsvector
(``VECTORS``, created by migration 0019_search) holding the text in the portal's
four configurations (English, Spanish, Portuguese and simple, each folding accents
with ``unaccent``), queried with the reader's language and ``portal_simple`` so a
name matches whatever the language. The expressions here and in the migration
must stay identical for the indexes to serve them (tests/test_search.py checks the
plans). On SQLite every word must occur in one of the fields, compared with accents
and case folded by a function registered on the connection.

Highlighted snippets are built here, not by ``ts_headline`` (which does not escape
HTML): the text is escaped piece by piece and only our ``<mark>`` is added.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    F,
    FloatField,
    IntegerField,
    Q,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import Func, RawSQL
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cooperation.models import (
    AgendaItem,
    AssessmentMeeting,
    Document,
    Initiative,
    Recommendation,
    RecommendationUpdate,
    SituationAssessment,
)

MAX_QUERY_LENGTH = 200
PER_KIND = 10
COUNT_LIMIT = 100
SNIPPET_CHARS = 200
MAX_WORDS = 10

CONFIGURATIONS = ("portal_en", "portal_es", "portal_pt", "portal_simple")
LANGUAGE_CONFIGURATIONS = {"en": "portal_en", "es": "portal_es", "pt": "portal_pt"}


def _vector(columns):
    """The same SQL as migration 0019_search's ``_vector``."""
    parts = []
    for config in CONFIGURATIONS:
        for sql, weight in columns:
            parts.append(
                f"setweight(to_tsvector('{config}'::regconfig, {sql}), '{weight}')"
            )
    return " || ".join(parts)


# The indexed vector of each table (see migration 0019_search), its columns
# qualified by ``{t}`` (the table's name and a dot in queries, nothing in the
# migration's index: both are the same expression to PostgreSQL).
VECTOR_TEMPLATES = {
    "initiative": _vector(
        [
            ("coalesce({t}title, '')", "A"),
            ("coalesce({t}summary, '') || ' ' || coalesce({t}objectives, '')", "B"),
        ]
    ),
    "meeting": _vector(
        [
            ("coalesce({t}title, '')", "A"),
            (
                "CASE WHEN {t}minutes_status = 'published' "
                "THEN coalesce({t}minutes, '') ELSE '' END",
                "B",
            ),
        ]
    ),
    "agenda_item": _vector([("coalesce({t}title, '')", "B")]),
    "assessment": _vector(
        [
            ("coalesce({t}primary_concern, '')", "A"),
            (
                "coalesce({t}summary, '') || ' ' || coalesce({t}emerging_shift, '') "
                "|| ' ' || coalesce({t}key_drivers, '')",
                "B",
            ),
        ]
    ),
    "recommendation": _vector(
        [("coalesce({t}title, '')", "A"), ("coalesce({t}description, '')", "B")]
    ),
    "update": _vector([("coalesce({t}note, '')", "C")]),
    "document": _vector([("coalesce({t}title, '')", "A")]),
}


TABLES = {
    "initiative": "cooperation_initiative",
    "meeting": "cooperation_assessmentmeeting",
    "agenda_item": "cooperation_agendaitem",
    "assessment": "cooperation_situationassessment",
    "recommendation": "cooperation_recommendation",
    "update": "cooperation_recommendationupdate",
    "document": "cooperation_document",
}


def vector_sql(vector, *, qualified=True):
    """The SQL of the indexed ``vector``, its columns qualified by its table."""
    prefix = f'"{TABLES[vector]}".' if qualified else ""
    return VECTOR_TEMPLATES[vector].replace("{t}", prefix)


class SearchError(ValueError):
    """A query the search refuses, with a message for the reader."""


def clean_query(raw):
    """The query to run: stripped, at most ``MAX_QUERY_LENGTH`` characters, no
    control characters; raises ``SearchError`` otherwise. ``""``: nothing asked."""
    if len(raw) > MAX_QUERY_LENGTH:
        raise SearchError(
            _("The search is too long: use at most %(limit)d characters.")
            % {"limit": MAX_QUERY_LENGTH}
        )
    if any(unicodedata.category(char) == "Cc" for char in raw):
        raise SearchError(_("The search contains characters that cannot be searched."))
    return " ".join(raw.split())


def fold(text):
    """``text`` lower-cased with its accents removed (``Brasília`` → ``brasilia``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _words(query):
    words = [word for word in re.findall(r"\w+", fold(query)) if word]
    return list(dict.fromkeys(words))[:MAX_WORDS]


# Highlighting --------------------------------------------------------------------


def _folded_with_positions(text):
    """``text`` folded, and for each folded character the index of its source."""
    folded, positions = [], []
    for index, char in enumerate(text):
        for folded_char in fold(char):
            folded.append(folded_char)
            positions.append(index)
    return "".join(folded), positions


def _stem(word):
    """A prefix that the word's inflections share (a rough stemmer for marks)."""
    return word if len(word) <= 4 else word[: max(4, len(word) - 2)]


def _spans(text, words):
    """``[(start, end)]`` in ``text`` of the words starting with a query word."""
    if not words:
        return []
    folded, positions = _folded_with_positions(text)
    pattern = re.compile(
        r"\b(?:" + "|".join(re.escape(_stem(word)) for word in words) + r")\w*"
    )
    spans = []
    for match in pattern.finditer(folded):
        start = positions[match.start()]
        end = positions[match.end() - 1] + 1
        if spans and start < spans[-1][1]:
            continue
        spans.append((start, end))
    return spans


def highlight(text, words, *, limit=None):
    """``text`` escaped, with the query's words in ``<mark>``; cut to about
    ``limit`` characters around the first match (``…`` where cut). None when
    ``limit`` is given and nothing matches."""
    text = text or ""
    spans = _spans(text, words)
    if limit is not None:
        if not spans:
            return None
        first = spans[0][0]
        start = max(0, first - limit // 3)
        if start:
            space = text.rfind(" ", 0, start + 1)
            start = space + 1 if space >= 0 and first - space < limit // 2 else start
        end = min(len(text), start + limit)
        spans = [(s, min(e, end)) for s, e in spans if start <= s < end]
    else:
        start, end = 0, len(text)
    pieces = ["…" if start else ""]
    cursor = start
    for span_start, span_end in spans:
        pieces.append(escape(text[cursor:span_start]))
        pieces.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        cursor = span_end
    pieces.append(escape(text[cursor:end]))
    pieces.append("…" if end < len(text) else "")
    return mark_safe("".join(pieces))  # noqa: S308 - every piece is escaped above  # nosec


def first_snippet(texts, words):
    """The first of ``texts`` in which a word matches, highlighted and cut."""
    for text in texts:
        snippet = highlight(text, words, limit=SNIPPET_CHARS)
        if snippet is not None:
            return snippet
    return None


# Matching ------------------------------------------------------------------------


class Fold(Func):
    """``portal_fold(text)`` on SQLite: ``fold`` registered on the connection."""

    function = "portal_fold"

    def __init__(self, expression):
        super().__init__(Coalesce(expression, Value("")), output_field=TextField())


def _register_sqlite_fold():
    connection.ensure_connection()
    connection.connection.create_function(
        "portal_fold", 1, lambda text: fold(text or ""), deterministic=True
    )


def _is_postgresql():
    return connection.vendor == "postgresql"


def _configuration():
    language = (get_language() or "en").split("-")[0]
    return LANGUAGE_CONFIGURATIONS.get(language, "portal_en")


@dataclass
class Query:
    """A query prepared for the database in use."""

    text: str
    words: list
    config: str = field(default_factory=_configuration)

    @property
    def tsquery_sql(self):
        return (
            f"(websearch_to_tsquery('{self.config}'::regconfig, %s) "
            "|| websearch_to_tsquery('portal_simple'::regconfig, %s))"
        )

    @property
    def tsquery_params(self):
        return [self.text, self.text]

    def matches(self, vector):
        """SQL condition and params: the ``vector`` (of ``VECTOR_TEMPLATES``) of
        its table matches."""
        return f"({vector_sql(vector)}) @@ {self.tsquery_sql}", self.tsquery_params

    def rank(self, vector, title):
        """How well the ``title`` column of ``vector``'s table matches, in the
        reader's language and simple: the rank of every match, cheap enough to
        compute for thousands of them (the whole text's would be read and parsed
        again for each; records whose text only matches rank after, newest
        first)."""
        column = f'coalesce("{TABLES[vector]}"."{title}", \'\')'
        sql = (
            f"ts_rank(to_tsvector('{self.config}'::regconfig, {column}) "
            f"|| to_tsvector('portal_simple'::regconfig, {column}), "
            f"{self.tsquery_sql})"
        )
        # Constant SQL: the reader's text is a parameter.
        return RawSQL(sql, self.tsquery_params, output_field=FloatField())  # noqa: S611  # nosec B611


def _words_condition(words, aliases):
    """Q: every word occurs (folded) in one of the ``aliases`` (``Fold`` values)."""
    condition = Q()
    for word in words:
        any_field = Q()
        for alias in aliases:
            any_field |= Q(**{f"{alias}__contains": word})
        condition &= any_field
    return condition


def _sqlite_condition(queryset, words, fields, *, prefix="_fold"):
    """``queryset`` with the folded ``fields`` aliased, and the Q that every word
    occurs in one of them."""
    aliases = {f"{prefix}_{i}": Fold(F(name)) for i, name in enumerate(fields)}
    return queryset.alias(**aliases), _words_condition(words, aliases)


def _sqlite_filter(queryset, words, fields):
    queryset, condition = _sqlite_condition(queryset, words, fields)
    return queryset.filter(condition)


def _pg_filter(queryset, query, *, vector, children=()):
    """Rows whose vector matches, or (``children``: (vector, parent column)) one of
    whose child rows' vector does: one ``pk IN (… UNION …)`` so that each part is
    an index scan. The SQL is built from constants; the reader's text is a
    parameter."""
    table = TABLES[vector]
    condition, params = query.matches(vector)
    parts = [f'SELECT "{table}"."id" FROM "{table}" WHERE {condition}']  # noqa: S608  # nosec B608
    for child_vector, parent_column in children:
        child_table = TABLES[child_vector]
        condition, condition_params = query.matches(child_vector)
        parts.append(
            f'SELECT "{child_table}"."{parent_column}" FROM "{child_table}" '  # noqa: S608  # nosec B608
            f"WHERE {condition}"
        )
        params += condition_params
    sql = f'"{table}"."id" IN ({" UNION ".join(parts)})'
    return queryset.filter(RawSQL(sql, params, output_field=BooleanField()))  # noqa: S611  # nosec B611


# The kinds -------------------------------------------------------------------------


@dataclass
class Hit:
    title: object  # highlighted, safe
    url: str
    snippet: object = None  # highlighted, safe, or None
    detail: str = ""


@dataclass
class Group:
    kind: str
    label: str
    hits: list
    count: int
    list_url: str | None = None

    @property
    def count_display(self):
        return f"{COUNT_LIMIT}+" if self.count > COUNT_LIMIT else str(self.count)


@dataclass
class Results:
    query: str
    groups: list

    @property
    def total(self):
        return sum(group.count for group in self.groups)


def _bounded(queryset, rows):
    """The number of matches: the rows shown when fewer than a page, else a count
    stopped after ``COUNT_LIMIT`` + 1 rows."""
    if len(rows) < PER_KIND:
        return len(rows)
    return queryset.order_by()[: COUNT_LIMIT + 1].count()


def _ranked(queryset, query, *, vector, title):
    """``queryset`` best first: the records whose title matches, then the others,
    newest (highest key) first."""
    if _is_postgresql():
        return queryset.alias(_rank=query.rank(vector, title)).order_by("-_rank", "-pk")
    title_match = Q()
    for word in query.words:
        title_match &= Q(_title_fold__contains=word)
    return (
        queryset.alias(_title_fold=Fold(F(title)))
        .alias(
            _title_hit=Case(
                When(title_match, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("-_title_hit", "-pk")
    )


def _match(queryset, query, *, vector, fields, children=()):
    if _is_postgresql():
        return _pg_filter(queryset, query, vector=vector, children=children)
    return _sqlite_filter(queryset, query.words, fields)


def _sqlite_with_children(queryset, query, *, fields, child_model, child_field):
    """SQLite: rows where every word occurs in ``fields``, or in the ``title`` or
    ``note`` (``child_field`` names the text and the parent) of one of their
    ``child_model`` rows."""
    parent, text = child_field
    queryset, condition = _sqlite_condition(queryset, query.words, fields)
    children = _sqlite_filter(child_model.objects.all(), query.words, [text])
    return queryset.filter(condition | Q(pk__in=children.values(parent)))


def _initiatives(user, query):
    queryset = _match(
        Initiative.objects.visible_to(user),
        query,
        vector="initiative",
        fields=["title", "summary", "objectives"],
    )
    rows = list(
        _ranked(queryset, query, vector="initiative", title="title").only(
            "pk", "title", "summary", "objectives", "status"
        )[:PER_KIND]
    )
    hits = [
        Hit(
            title=highlight(row.title, query.words),
            url=row.get_absolute_url(),
            snippet=first_snippet([row.summary, row.objectives], query.words),
            detail=row.get_status_display(),
        )
        for row in rows
    ]
    return Group(
        "initiatives",
        _("Initiatives"),
        hits,
        _bounded(queryset, rows),
        reverse("cooperation:initiative-list"),
    )


def _meetings(user, query):
    visible = AssessmentMeeting.objects.visible_to(user)
    if _is_postgresql():
        queryset = _match(
            visible,
            query,
            vector="meeting",
            fields=(),
            children=[("agenda_item", "meeting_id")],
        )
    else:
        published = AssessmentMeeting.MinutesStatus.PUBLISHED
        queryset = _sqlite_with_children(
            visible.alias(
                _published_minutes=Case(
                    When(minutes_status=published, then=F("minutes")),
                    default=Value(""),
                    output_field=TextField(),
                )
            ),
            query,
            fields=["title", "_published_minutes"],
            child_model=AgendaItem,
            child_field=("meeting", "title"),
        )
    rows = list(
        _ranked(queryset, query, vector="meeting", title="title").only(
            "pk", "title", "starts_at", "minutes", "minutes_status", "time_zone"
        )[:PER_KIND]
    )
    agenda = _matching_children(
        AgendaItem,
        [row.pk for row in rows],
        query,
        parent="meeting_id",
        text="title",
        vector="agenda_item",
    )
    hits = []
    for row in rows:
        minutes = (
            row.minutes
            if row.minutes_status == AssessmentMeeting.MinutesStatus.PUBLISHED
            else ""
        )
        hits.append(
            Hit(
                title=highlight(row.title, query.words),
                url=row.get_absolute_url(),
                snippet=first_snippet([*agenda.get(row.pk, []), minutes], query.words),
                detail=row.starts_at,
            )
        )
    return Group(
        "meetings",
        _("Meetings"),
        hits,
        _bounded(queryset, rows),
        reverse("cooperation:meeting-list"),
    )


def _matching_children(model, parents, query, *, parent, text, vector):
    """``{parent pk: [text, …]}`` of ``model``'s rows of ``parents`` (pks) whose
    ``text`` matches: one query, none without parents."""
    if not parents:
        return {}
    queryset = model.objects.filter(**{f"{parent}__in": parents})
    if _is_postgresql():
        condition, params = query.matches(vector)
        queryset = queryset.filter(
            RawSQL(condition, params, output_field=BooleanField())  # noqa: S611  # nosec B611
        )
    else:
        queryset = _sqlite_filter(queryset, query.words, [text])
    result = {}
    rows = queryset.order_by(parent, "pk").values_list(parent, text)
    for parent_pk, value in rows[: PER_KIND * 5]:
        result.setdefault(parent_pk, []).append(value)
    return result


def _assessments(user, query):
    queryset = _match(
        SituationAssessment.objects.visible_to(user),
        query,
        vector="assessment",
        fields=["primary_concern", "summary", "emerging_shift", "key_drivers"],
    )
    rows = list(
        _ranked(
            queryset, query, vector="assessment", title="primary_concern"
        ).select_related("meeting", "nation", "focus_area")[:PER_KIND]
    )
    hits = [
        Hit(
            title=highlight(
                f"{row.nation.display_name} — {row.focus_area.name}: "
                f"{row.primary_concern}",
                query.words,
            ),
            url=row.get_absolute_url(),
            snippet=first_snippet(
                [row.summary, row.emerging_shift, row.key_drivers], query.words
            ),
            detail=row.meeting.title,
        )
        for row in rows
    ]
    return Group(
        "assessments", _("Situation assessments"), hits, _bounded(queryset, rows)
    )


def _recommendations(user, query):
    visible = Recommendation.objects.visible_to(user)
    if _is_postgresql():
        queryset = _match(
            visible,
            query,
            vector="recommendation",
            fields=(),
            children=[("update", "recommendation_id")],
        )
    else:
        queryset = _sqlite_with_children(
            visible,
            query,
            fields=["title", "description"],
            child_model=RecommendationUpdate,
            child_field=("recommendation", "note"),
        )
    rows = list(
        _ranked(queryset, query, vector="recommendation", title="title").only(
            "pk", "reference", "title", "description", "status"
        )[:PER_KIND]
    )
    notes = _matching_children(
        RecommendationUpdate,
        [row.pk for row in rows],
        query,
        parent="recommendation_id",
        text="note",
        vector="update",
    )
    hits = [
        Hit(
            title=highlight(f"{row.reference} {row.title}", query.words),
            url=row.get_absolute_url(),
            snippet=first_snippet(
                [row.description, *notes.get(row.pk, [])], query.words
            ),
            detail=row.get_status_display(),
        )
        for row in rows
    ]
    return Group(
        "recommendations",
        _("Recommendations"),
        hits,
        _bounded(queryset, rows),
        reverse("cooperation:recommendation-list"),
    )


def _documents(user, query):
    queryset = _match(
        Document.objects.visible_to(user).current(),
        query,
        vector="document",
        fields=["title"],
    )
    rows = list(
        _ranked(queryset, query, vector="document", title="title").select_related(
            "meeting", "recommendation", "initiative"
        )[:PER_KIND]
    )
    hits = []
    for row in rows:
        parent = row.meeting or row.recommendation or row.initiative
        hits.append(
            Hit(
                title=highlight(row.title, query.words),
                url=parent.get_absolute_url(),
                detail=str(parent),
            )
        )
    return Group("documents", _("Documents"), hits, _bounded(queryset, rows))


KINDS = (_initiatives, _meetings, _assessments, _recommendations, _documents)


def search(user, text):
    """The reader's results for ``text`` (as ``clean_query`` returns it), by kind."""
    words = _words(text)
    if not words:
        return Results(query=text, groups=[])
    if not _is_postgresql():
        _register_sqlite_fold()
    query = Query(text=text, words=words)
    return Results(query=text, groups=[kind(user, query) for kind in KINDS])
