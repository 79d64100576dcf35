"""Small helpers shared across packages."""

from alphatriangle.utils.errors import UserError, one_line
from alphatriangle.utils.types import StepInfo

__all__ = ["StepInfo", "UserError", "one_line"]
