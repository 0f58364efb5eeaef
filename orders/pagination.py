"""Pagination for lists that can be long (orders, alerts, hand-offs, invoices...).

Django's Paginator counts every row (`COUNT(*)` of 600,000 closed orders is ~100 ms at a
million orders) and reaches page N by `OFFSET`, which builds and throws away every row before
it (joins, annotations). `CappedPaginator` counts at most `cap` rows beyond the page asked for
and fetches a deep page by a deferred join: the 25 primary keys first, along the list's index,
then only those rows. Both stay one query each, whatever the page number or the data size.

When there are more rows than it counted, `count_capped` is true, `count` is the number of
rows known to exist ("more than 10,000") and `num_pages` reaches one page past the page asked
for, so "next" and "previous" work as usual; the shared pagination template says "more than"
and shows no last page. Plain lists (not querysets) are counted exactly.
"""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.db.models.query import ModelIterable
from django.utils.functional import cached_property

COUNT_CAP = 10_000  # rows counted at most on the first pages
DEFERRED_JOIN_FROM = 500  # offset from which a page's rows are found by their keys first


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = COUNT_CAP if cap is None else cap
        self._wanted = 1  # the page number asked for: the count reaches one row past it

    def validate_number(self, number):
        # The count depends on the page asked for: note it before anything is counted.
        if "_counted" not in self.__dict__:
            try:
                self._wanted = min(max(1, int(number)), 10**9)
            except (TypeError, ValueError):
                self._wanted = 1
        return super().validate_number(number)

    @cached_property
    def _counted(self) -> tuple[int, bool]:
        """(rows counted, whether that is every row)."""
        rows = self.object_list
        if not isinstance(rows, QuerySet):
            return len(rows), True
        limit = max(self.cap, self._wanted * self.per_page + self.orphans) + 1
        if _keys_first_possible(rows):
            rows = rows.values("pk")  # the count needs no joins or annotations in its select list
        counted = rows.order_by()[:limit].count()
        if counted < limit:
            return counted, True
        return limit - 1, False

    @cached_property
    def count(self) -> int:
        """Every row when `count_capped` is false; otherwise how many rows are known to exist
        (there are more)."""
        return self._counted[0]

    @property
    def count_capped(self) -> bool:
        return not self._counted[1]

    @cached_property
    def num_pages(self) -> int:
        if self.count_capped:
            # One page past the last full page known: there are rows beyond it.
            return self.count // self.per_page + 1
        return super().num_pages

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if not self.count_capped and top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self._rows(bottom, top), number, self)

    def _rows(self, bottom: int, top: int):
        rows = self.object_list
        if bottom < DEFERRED_JOIN_FROM or not _keys_first_possible(rows):
            return rows[bottom:top]
        # The page's keys along the list's ordering (an index walk, no joins, no annotations),
        # then those rows with everything the page shows: one statement.
        keys = rows.values("pk")[bottom:top]
        return rows.filter(pk__in=keys)


def _keys_first_possible(rows) -> bool:
    """A plain queryset of model instances: no GROUP BY, DISTINCT, UNION or values()."""
    if not isinstance(rows, QuerySet) or rows._iterable_class is not ModelIterable:
        return False
    query = rows.query
    return not (query.group_by or query.distinct or query.combinator or query.is_sliced)
