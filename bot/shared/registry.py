"""One lookup for everything a user's YAML names by class: NLU components and policies (config.yml),
tracker stores and lock stores (endpoints.yml `type:`) and channels (credentials.yml keys).

Each kind keeps a table of lazy "module:Class" entries keyed by the Rasa name, next to the classes
(bot/nlu/registry.py, bot/core/policies/registry.py, bot/stores/registry.py,
bot/channels/registry.py), so only what a project uses is imported. A name is looked up in this order:

1. the short name (the last dotted part, so "rasa.nlu.classifiers.diet_classifier.DIETClassifier"
   is DIETClassifier) in the table;
2. a full dotted name that is not in the table ("addons.MyComponent", as Rasa projects name their own
   classes) is imported from the project folder (the working directory) and must fit the kind's
   base class (a subclass, or for stores and channels a class with the protocol's methods); a kind
   may adapt a foreign class instead (a Rasa 3 GraphComponent runs through an adapter);
3. a Rasa class that is not available here gets why and what instead; anything else the closest
   known name and the list of known ones.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from bot.shared.errors import BotError, InvalidConfig
from bot.shared.rasa_unavailable import check_available

__all__ = ["lookup"]

T = TypeVar("T")

# Rasa 3's module names for custom components (rasa.engine.graph, ...), used when Rasa is not installed.
_RASA_SHIMS = Path(__file__).resolve().parent.parent / "rasa_shim"


def lookup(name: str, table: dict[str, str], base: type[T], *, kind: str, where: str = "",
           error: type[BotError] = InvalidConfig, location: str | None = None,
           adapt: Callable[[type, str], type | None] | None = None, set_name: bool = True) -> type[T]:
    """The class `name` means (`kind` names it in errors: "component", "tracker store", ...).

    `where` prefixes error messages, `location` ("endpoints.yml:3") is put on them, `error` is the
    exception class raised; `adapt(cls, name)` may return a wrapper for a class that does not fit
    `base`; `set_name` stores the Rasa name on the class (components and policies report it).
    """
    short = name.rsplit(".", 1)[-1]
    target = table.get(short)
    if target is not None:
        module_name, class_name = target.split(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        if set_name:
            cls.name = short
        return cls  # type: ignore[no-any-return]
    if "." in name and not name.startswith("rasa."):
        return _import_custom(name, base, kind, where, error, location, adapt, set_name)
    check_available(name, where, kind=kind, error=error, location=location)
    close = difflib.get_close_matches(short, table, n=1)
    raise error(f"{where}unknown {kind} '{name}'" + (f" — did you mean '{close[0]}'?" if close else ""),
                location=location,
                hint="use one of: " + ", ".join(sorted(table))
                     + f", or a {kind} of your own by its dotted path (module.Class) in the project folder")


def _import_custom(name: str, base: type[T], kind: str, where: str, error: type[BotError], location: str | None,
                   adapt: Callable[[type, str], type | None] | None, set_name: bool) -> type[T]:
    """A project's own class, "package.module.Class", importable from the working directory as in Rasa."""
    module_name, _, class_name = name.rpartition(".")
    if os.getcwd() not in sys.path:
        sys.path.insert(1, os.getcwd())  # the project folder, as Rasa's CLI puts it on the path
    _make_rasa_importable()
    try:
        module = importlib.import_module(module_name)
    except ImportError as problem:
        raise error(f"{where}cannot import the custom {kind} '{name}': {problem}", location=location,
                    hint=f"put {module_name.replace('.', '/')}.py (or a package) in the project "
                         "folder and run the command there") from None
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise error(f"{where}module '{module_name}' has no class '{class_name}'", location=location,
                    hint=f"check the spelling of '{name}'")
    if not _fits(cls, base):
        adapted = adapt(cls, name) if adapt is not None else None
        if adapted is not None:
            return adapted  # type: ignore[return-value]
        raise error(f"{where}'{name}' is not a {kind} of this framework (it does not "
                    f"{'implement' if _is_protocol(base) else 'subclass'} {base.__module__}.{base.__name__})",
                    location=location,
                    hint=f"{'implement' if _is_protocol(base) else 'subclass'} {base.__name__}; see "
                         "docs/components.md, 'Your own components', and docs/compatibility.md")
    if set_name and not getattr(cls, "name", None):
        cls.name = name  # type: ignore[attr-defined]
    return cls


def _is_protocol(base: type) -> bool:
    return bool(getattr(base, "_is_protocol", False))


def _fits(cls: type, base: type) -> bool:
    """A subclass of `base`; for a runtime-checkable protocol, a class with all its methods."""
    try:
        return issubclass(cls, base)
    except TypeError:  # a protocol with data members cannot be checked with issubclass
        return False


def _make_rasa_importable() -> None:
    """Puts Rasa 3's module names (`from rasa.engine.graph import GraphComponent`) on the path
    when Rasa itself is not installed, so a Rasa project's custom component imports unchanged."""
    shims = str(_RASA_SHIMS)
    if shims in sys.path or "rasa" in sys.modules:
        return
    if importlib.util.find_spec("rasa") is None:
        sys.path.append(shims)

