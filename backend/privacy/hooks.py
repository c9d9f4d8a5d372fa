"""The one place where a domain plugs into data rights.

To add a domain: write ``async def erase_x(session, erased: ErasureContext) -> None``
(``backend.core.erasure``, importable from any domain) and
``async def export_x(session, account_id) -> <JSON-able>`` in that domain's service, then
list them here. Erasers run in order, in one transaction, before ``erase_account`` (which
must stay last: it replaces her pseudonym, and earlier erasers may still need it). An
eraser that raises a TandemError refuses the erasure (e.g. a safeguarding hold).
"""

from backend.core.erasure import Eraser
from backend.notification import service as notification_service
from backend.privacy import erasure, export
from backend.privacy.export import Exporter
from backend.safeguarding import data_rights as safeguarding_data

# Section name in the export file -> the function that fills it.
EXPORTERS: dict[str, Exporter] = {
    "account": export.export_account,
    "identity": export.export_identity,
    "membership": export.export_membership,
    "mentoring": export.export_mentoring,
    "rooms": export.export_rooms,
    "safety": export.export_safety,
    "peer_work": export.export_peerwork,
    "safeguarding": safeguarding_data.export_safeguarding,
    "notifications": notification_service.export_notifications,
}

ERASERS: list[Eraser] = [
    erasure.erase_identity,
    erasure.erase_mentoring,
    erasure.erase_membership,
    erasure.erase_rooms,
    erasure.erase_safety,
    erasure.erase_peerwork,
    erasure.erase_sign_in,
    safeguarding_data.erase_safeguarding,
    notification_service.erase_notifications,
    # Other domains go here, before erase_account.
    erasure.erase_account,
]
