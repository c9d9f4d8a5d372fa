"""Safety policy for Tandem: reports, triage, restrictions, trust chain and signals.

Pure policy: no web framework, no database. The backend's ``safeguarding`` package stores
what it decides and applies it; this package never imports the backend.
"""

from moderation import cases, reports, restrictions, signals, trust

__all__ = ["cases", "reports", "restrictions", "signals", "trust"]
