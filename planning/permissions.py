"""Who may read and write what in order planning (pages and API use the same sets)."""

from orders.roles import Role, user_has_role

from .models import Source
from .services import CONSENSUS_SETTER, CONSENSUS_SIGNER, SOURCE_EDITOR

# Executives and demand planners read everything.
READ_ALL = frozenset({Role.EXECUTIVE, Role.DEMAND_PLANNER})
GRID_READERS = {
    Source.SALES: READ_ALL | {Role.SALES_REP},
    Source.PRODUCTION: READ_ALL | {Role.SCHEDULER},
}
GRID_EDITORS = {source: frozenset({role}) for source, role in SOURCE_EDITOR.items()}
# The scheduler reads the consensus to sign it off, and the capacity plan it drives.
CONSENSUS_READERS = READ_ALL | {Role.SCHEDULER}
CONSENSUS_SETTERS = frozenset({CONSENSUS_SETTER})
CONSENSUS_SIGNERS = frozenset({CONSENSUS_SIGNER})
ACCURACY_READERS = READ_ALL
CAPACITY_READERS = READ_ALL | {Role.SCHEDULER}
PLANNING_USERS = READ_ALL | {Role.SALES_REP, Role.SCHEDULER}


def readable_sources(user) -> list[Source]:
    return [source for source in Source if user_has_role(user, GRID_READERS[source])]


def can_edit_source(user, source) -> bool:
    return user_has_role(user, GRID_EDITORS[Source(source)])
