"""The demo community: people at every step of the path, made through the service functions.

Deterministic: the same seed gives the same people, roles, organisations, identities and
choices. Each part lives in its module: cast (people and the builder), rooms, safety,
peer_work; loader runs them in order.
"""
