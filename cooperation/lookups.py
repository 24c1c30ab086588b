"""An ``__in`` lookup on integer columns that survives numbers no column can hold.

Django answers ``exact``, ``gt``, ``lt``… with a value beyond the column's range by
matching no row (``IntegerFieldOverflow``), but hands such a value in an ``__in``
list to the driver, and SQLite's raises OverflowError. Forms reach it with whatever
a request posts: every ModelMultipleChoiceField checks the posted ids with ``pk__in``
(the portal's nations and attendees, the admin's permissions and groups), so
``?nations=10**30`` was a 500 instead of "not one of the available choices".
Registered in ``CooperationConfig.ready``.
"""

from django.db.models import IntegerField
from django.db.models.lookups import In


class IntegerFieldIn(In):
    """``__in`` that leaves out the values the column cannot hold: they match no
    row, as with Django's own integer ``exact``."""

    def process_rhs(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return super().process_rhs(compiler, connection)
        low, high = connection.ops.integer_field_range(
            self.lhs.output_field.get_internal_type()
        )
        given = self.rhs
        self.rhs = [
            value
            for value in given
            if not isinstance(value, int)
            or ((low is None or value >= low) and (high is None or value <= high))
        ]
        try:
            return super().process_rhs(compiler, connection)
        finally:
            self.rhs = given


def register():
    IntegerField.register_lookup(IntegerFieldIn)
