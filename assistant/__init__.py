"""Produktionsrådgivaren: grounded answers about improvement and renewal in Swedish
manufacturing."""

__version__ = "0.1.0"
