"""Small helpers shared across packages."""

from alphatriangle.utils.errors import UserError, failure_reason, one_line
from alphatriangle.utils.types import StepInfo

__all__ = ["StepInfo", "UserError", "failure_reason", "one_line"]
