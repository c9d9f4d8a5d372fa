"""Data rights: a person's export of everything about her, erasure, message retention."""
