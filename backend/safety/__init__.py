"""Stores and endpoints that put the `moderation` policy to work: blocks, reports, restrictions."""
