"""Live delivery over /ws, knowing no domain: the bus (events published after commit),
the brokers, the hub, connections, sequenced streams and the wire (docs/realtime.md)."""
