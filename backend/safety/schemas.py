import uuid
from datetime import datetime

from backend.core.schemas import Input, Output


class BlockIn(Input):
    account_id: uuid.UUID


class BlockPublic(Output):
    account_id: uuid.UUID
    pseudonym: str
    created_at: datetime
