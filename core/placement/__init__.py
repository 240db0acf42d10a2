"""Placement algorithms. Every module in this package registers its placers on import (discovered below),
so adding an algorithm means adding one file."""
import importlib
import pkgutil

from .base import PLACERS, Placement, register_placer

for _m in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_m.name}")

__all__ = ["PLACERS", "Placement", "register_placer"]
