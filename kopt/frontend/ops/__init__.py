"""Families of device operations, each registering its call handlers (see kopt/frontend/registry.py).

Importing this package registers them all; kopt/frontend/builder.py does so.
"""

import importlib
import pkgutil

for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")
