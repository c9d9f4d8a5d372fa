"""The web client: server-rendered pages over the same services and capability checks as /api."""
