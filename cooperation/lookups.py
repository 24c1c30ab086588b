"""An ``__in`` lookup on integer columns that survives numbers no column can hold.

Django answers ``exact``, ``gt``, ``lt``… with a value beyond the column's range by
matching no row (``IntegerFieldOverflow``), but hands such a value in an ``__in``
list to the driver, and SQLite's raises OverflowError. Forms reach it with whatever
a request posts: every ModelMultipleChoiceField checks the posted ids with ``pk__in``
(the portal's nations and attendees, the admin's permissions and groups), so
``?nations=10**30`` was a 500 instead of "not one of the available choices".
Registered in ``CooperationConfig.ready``, with ``__any_of`` for long lists.
"""

from django.db.models import IntegerField
from django.db.models.lookups import In


class IntegerFieldIn(In):
    """``__in`` that leaves out the values the column cannot hold: they match no
    row, as with Django's own integer ``exact``."""

    def holdable(self, values, connection):
        """``values`` without the integers the column cannot hold."""
        low, high = connection.ops.integer_field_range(
            self.lhs.output_field.get_internal_type()
        )
        return [
            value
            for value in values
            if not isinstance(value, int)
            or ((low is None or value >= low) and (high is None or value <= high))
        ]

    def process_rhs(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return super().process_rhs(compiler, connection)
        given = self.rhs
        self.rhs = self.holdable(given, connection)
        try:
            return super().process_rhs(compiler, connection)
        finally:
            self.rhs = given


class IntegerFieldAnyOf(IntegerFieldIn):
    """``field__any_of=[1, 2, …]``: ``__in`` for a long list of integers, which
    PostgreSQL receives as one array (``field = ANY(%s)``) rather than as one
    placeholder per value: the driver's conversion of a query with thousands of
    placeholders cost more than the query itself (a CSV export's chunks of related
    rows). Elsewhere, the same ``IN (…)``."""

    lookup_name = "any_of"

    def get_prep_lookup(self):
        # Plain integers need no conversion (Django's would cost more than the rest).
        if self.rhs_is_direct_value() and all(type(v) is int for v in self.rhs):
            return list(dict.fromkeys(self.rhs))
        return super().get_prep_lookup()

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return self.as_sql(compiler, connection)
        values = [
            value for value in self.holdable(self.rhs, connection) if value is not None
        ]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, values)


def register():
    IntegerField.register_lookup(IntegerFieldIn)
    IntegerField.register_lookup(IntegerFieldAnyOf)
