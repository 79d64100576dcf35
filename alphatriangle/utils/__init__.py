"""Small helpers shared across packages."""

from alphatriangle.utils.errors import UserError
from alphatriangle.utils.types import StepInfo

__all__ = ["StepInfo", "UserError"]
