"""Benchmarks behind `alphatriangle bench`: they print figures and write JSON."""
