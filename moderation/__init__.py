"""Safety policy for Tandem: reports, triage, restrictions, trust chain and signals.

Pure policy: no web framework, no database. The backend's ``safety`` package adapts it.
"""

__all__: list[str] = []
