"""Who may do what in scheduling (pages use orders.access.role_required, the API RolePermission)."""

from orders.roles import Role

# The scheduler edits the board; sales reps see it (and the cost of their expedites);
# executives and the review board read.
EDITORS = frozenset({Role.SCHEDULER})
READERS = frozenset({Role.SCHEDULER, Role.EXECUTIVE, Role.REVIEW_BOARD, Role.SALES_REP})
EXPEDITE_REQUESTERS = frozenset({Role.SALES_REP})
