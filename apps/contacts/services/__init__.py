"""Writes for contacts: the platform first, then the local mirror, each write audited.

Imports are a small state machine on `ImportJob` (see models.ImportJob.State); every step is a
function here that a thin Celery task calls with the job's id, and each step checks the state it
expects first, so running one twice (a redelivered task, a restarted worker) changes nothing."""

from ._common import (
    BATCH_LIMIT,
    POLL_FACTOR,
    POLL_FIRST_SECONDS,
    POLL_GIVE_UP_SECONDS,
    POLL_MAX_SECONDS,
    SUBSCRIBE_CHUNK,
)
from .addresses import (
    address_add,
    address_delete,
    address_get,
    address_page,
    address_remove_by_email,
    address_update,
)
from .exports import export_addresses, export_unsubscribes
from .imports import (
    import_cancel,
    import_configure,
    import_confirm,
    import_create,
    import_dir,
    import_discard_files,
    import_poll,
    import_resume,
    import_sniffed,
    import_upload,
    import_validate,
)
from .lists import (
    list_create,
    list_delete,
    list_empty,
    list_set_field_labels,
    list_sync,
    list_update,
)
from .subscriptions import (
    SubscriptionOutcome,
    parse_pasted,
    subscribe_many,
    suppression_add_many,
    unsubscribe_many,
)

__all__ = [
    "BATCH_LIMIT",
    "POLL_FACTOR",
    "POLL_FIRST_SECONDS",
    "POLL_GIVE_UP_SECONDS",
    "POLL_MAX_SECONDS",
    "SUBSCRIBE_CHUNK",
    "SubscriptionOutcome",
    "address_add",
    "address_delete",
    "address_get",
    "address_page",
    "address_remove_by_email",
    "address_update",
    "export_addresses",
    "export_unsubscribes",
    "import_cancel",
    "import_configure",
    "import_confirm",
    "import_create",
    "import_dir",
    "import_discard_files",
    "import_poll",
    "import_resume",
    "import_sniffed",
    "import_upload",
    "import_validate",
    "list_create",
    "list_delete",
    "list_empty",
    "list_set_field_labels",
    "list_sync",
    "list_update",
    "parse_pasted",
    "subscribe_many",
    "suppression_add_many",
    "unsubscribe_many",
]
