"""Rooms, messages, the /ws realtime endpoint, the broker and support-group sessions."""
