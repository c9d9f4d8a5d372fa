"""The sealed vault: legal identity and contact details, encrypted, opened by two people."""
