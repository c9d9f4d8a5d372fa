"""Reading and verifying the audit log (the log itself lives in core)."""
