"""Small helpers shared across packages."""

from alphatriangle.utils.errors import UserError

__all__ = ["UserError"]
