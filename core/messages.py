"""Building blocks of the apps' wire messages."""

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A message part whose unknown fields are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid")
