"""Notifications: one feed per account, live over /ws, neutral outside the app."""
