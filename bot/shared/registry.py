"""One lookup for everything config.yml names by class: NLU components and dialogue policies.

Each kind keeps a table of lazy "module:Class" entries keyed by the Rasa name (importing only what
a config uses). A name is looked up in this order:

1. the short name (the last dotted part, so "rasa.nlu.classifiers.diet_classifier.DIETClassifier"
   is DIETClassifier) in the table;
2. a full dotted name that is not in the table ("addons.MyComponent", as Rasa projects name their own
   components) is imported from the project folder (the working directory) and must subclass the
   kind's base class;
3. a Rasa component that is not available here gets why and what instead; anything else the
   closest known name and the list of known ones.
"""

from __future__ import annotations

import difflib
import importlib
import os
import sys
from typing import TypeVar

from bot.shared.errors import InvalidConfig
from bot.shared.rasa_unavailable import check_available

__all__ = ["lookup"]

T = TypeVar("T")


def lookup(name: str, table: dict[str, str], base: type[T], *, kind: str, where: str = "") -> type[T]:
    """The class config.yml means by `name` (`kind` is "component" or "policy", `where` prefixes errors)."""
    short = name.rsplit(".", 1)[-1]
    target = table.get(short)
    if target is not None:
        module_name, class_name = target.split(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        cls.name = short
        return cls
    if "." in name and not name.startswith("rasa."):
        return _import_custom(name, base, kind, where)
    check_available(name, where)
    close = difflib.get_close_matches(short, table, n=1)
    raise InvalidConfig(f"{where}unknown {kind} '{name}'" + (f" — did you mean '{close[0]}'?" if close else ""),
                        hint="use one of: " + ", ".join(sorted(table))
                             + f", or a {kind} of your own by its dotted path (module.Class) in the project folder")


def _import_custom(name: str, base: type[T], kind: str, where: str) -> type[T]:
    """A project's own class, "package.module.Class", importable from the working directory as in Rasa."""
    module_name, _, class_name = name.rpartition(".")
    if os.getcwd() not in sys.path:
        sys.path.insert(1, os.getcwd())  # the project folder, as Rasa's CLI puts it on the path
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise InvalidConfig(f"{where}cannot import the custom {kind} '{name}': {error}",
                            hint=f"put {module_name.replace('.', '/')}.py (or a package) in the project "
                                 "folder and run the command there") from None
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise InvalidConfig(f"{where}module '{module_name}' has no class '{class_name}'",
                            hint=f"check the spelling of '{name}' in config.yml")
    if not issubclass(cls, base):
        raise InvalidConfig(f"{where}'{name}' is not a {kind} of this framework (it does not subclass "
                            f"{base.__module__}.{base.__name__})",
                            hint=f"subclass {base.__name__}; see docs/components.md, 'Your own components'")
    if not getattr(cls, "name", None):
        cls.name = name  # type: ignore[attr-defined]
    return cls
