"""Accounts, sessions and capabilities."""
