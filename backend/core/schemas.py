"""Base classes for the API's input and output models."""

from pydantic import BaseModel, ConfigDict

SUPPORTED_LANGUAGES = ("en", "fr", "es", "ro", "it")


class Input(BaseModel):
    """Every request body: unknown fields are refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)
