"""`python -m alphatriangle` runs the command line."""

from alphatriangle.cli import run

run()
