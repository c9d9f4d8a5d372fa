from backend.core.errors import Forbidden

# Codes from rules.post_refusal; clients and pages read the code, people read the message.
POST_REFUSALS = {
    "not_member": "Join the room to write in it.",
    "not_open": "The conversation opens when the other person accepts.",
    "muted": "You are muted in this room for now.",
    "announcements_only": "Only facilitators and moderators write announcements.",
    "read_only": "You can read, but not write, for now. A safeguarding officer can tell you more.",
    "direct_messages_frozen": "Private conversations are paused for you for now.",
}


class PostRefused(Forbidden):
    def __init__(self, reason: str) -> None:
        super().__init__(POST_REFUSALS[reason], code=reason)
