"""AlphaTriangle: AlphaZero-style self-play for the triangle puzzle."""

__version__ = "0.1.0"
