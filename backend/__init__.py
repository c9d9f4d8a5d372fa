"""Tandem's FastAPI application."""
