"""Partner organisations: referring charities and employers of peer workers."""
