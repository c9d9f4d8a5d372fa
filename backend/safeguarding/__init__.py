"""Reports, triage, cases, restrictions, the chain of trust and coercion (uses moderation/)."""
