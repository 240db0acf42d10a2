"""Routing algorithms. Every module in this package registers its routers (and, if it pairs them with a
placer, its policies) on import, so adding an algorithm means adding one file."""
import importlib
import pkgutil

from .base import ROUTERS, Chain, Request, register_router

for _m in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_m.name}")

__all__ = ["ROUTERS", "Chain", "Request", "register_router"]
