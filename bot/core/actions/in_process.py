"""Runs the project's rasa_sdk actions inside this process (the embedded default).

The project's `actions` package is imported from the project folder and handed to rasa_sdk's
own `ActionExecutor`, which imports its submodules and registers its `Action` subclasses
(forms' `FormValidationAction`s included) as `python -m rasa_sdk --actions actions` does; only
classes defined in or imported into the package count (see `_ProjectActionExecutor`). Each call
gets the same JSON body the action server would receive, so an action behaves the same in both
setups. Actions with a plain `def run` run in a worker thread so they cannot block the server.
"""

from __future__ import annotations

import asyncio
import difflib
import importlib
import inspect
import json
import logging
import sys
import traceback
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

from rasa_sdk.executor import ActionExecutor as SdkActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

from bot.core.actions.action_executor import (
    ActionFailed,
    ActionNotFound,
    ActionRejected,
    ActionResult,
    InvalidActions,
    build_action_call,
    check_result,
)
from bot.shared.errors import BotError, MissingDependency, location

__all__ = ["InProcessActionExecutor"]

logger = logging.getLogger(__name__)


class _ProjectActionExecutor(SdkActionExecutor):
    """rasa_sdk's executor, registering only the project package's actions.

    rasa_sdk registers every `Action` subclass alive in the process. That is right for a
    process that serves one package, but here other code shares the process (another
    project's package, the framework's tests), so a class counts only when it is defined in
    the package or imported into one of its modules (`from mylib import ActionX` still works),
    and not when its module has since been replaced by another project's same-named package.
    """

    def __init__(self, package: str) -> None:
        super().__init__()
        self.package = package

    def register_action(self, action: Any) -> None:
        action_class = action if inspect.isclass(action) else type(action)
        if _is_stale(action_class) or not _belongs_to(action_class, self.package):
            logger.debug("Not registering %s: it is not part of the package '%s'", action_class, self.package)
            return
        super().register_action(action)


class InProcessActionExecutor:
    """Imports `module_name` from `project_dir` and runs its actions with rasa_sdk's executor.

    `found` is False when the project has no such package (then nothing is registered).
    Raises InvalidActions / MissingDependency when the package exists but cannot be imported.
    With `allow_installed`, a package that is not in the project folder may come from sys.path
    (an installed package); otherwise only the project's own copy counts, so that the framework's
    example `actions` package never stands in for a project's missing one.
    """

    def __init__(self, module_name: str, project_dir: Path, *, allow_installed: bool = False) -> None:
        self.module_name = module_name
        self.project_dir = Path(project_dir).resolve()
        self.where = f"the actions package '{module_name}' in {self.project_dir}"
        self.found = False
        self._allow_installed = allow_installed
        self._executor = _ProjectActionExecutor(module_name)
        self._last_domain: dict[str, Any] | None = None
        self._load()

    # -- loading ---------------------------------------------------------------------------------

    def _load(self) -> None:
        top_level = self.module_name.split(".")[0]
        in_project = (self.project_dir / top_level).is_dir() or (self.project_dir / f"{top_level}.py").is_file()
        if not in_project and not self._allow_installed:
            logger.info("No '%s' package in %s: no custom actions run in-process", top_level, self.project_dir)
            return
        if in_project:
            _put_first_on_path(self.project_dir)
            _forget_modules_from_elsewhere(top_level, self.project_dir)
            importlib.invalidate_caches()
        try:
            module = importlib.import_module(self.module_name)
        except ModuleNotFoundError as error:
            if error.name and (self.module_name == error.name or self.module_name.startswith(error.name + ".")):
                logger.info("Python module '%s' not found: no custom actions run in-process", self.module_name)
                return
            raise self._import_error(error) from error
        except Exception as error:
            raise self._import_error(error) from error
        self.where = f"the actions package '{self.module_name}' ({_module_location(module)})"
        try:
            self._executor.register_package(module)
        except SystemExit as exit_:  # rasa_sdk exits the process when a submodule fails to import
            cause = exit_.__context__ if isinstance(exit_.__context__, Exception) else exit_
            raise self._import_error(cause) from cause
        except Exception as error:
            raise self._import_error(error) from error
        self.found = True
        logger.info("Custom actions from %s: %s", self.where, ", ".join(self.action_names) or "(none)")

    def _import_error(self, error: BaseException) -> BotError:
        where = _user_location(error, self.project_dir)
        if isinstance(error, ModuleNotFoundError) and error.name:
            return MissingDependency(
                f"the actions package '{self.module_name}' imports '{error.name}', which is not installed",
                location=where,
                hint=f"install the package that provides '{error.name}' in this environment (pip install ...)",
            )
        if isinstance(error, SyntaxError):
            where = location(error.filename, error.lineno) or where
            return InvalidActions(f"syntax error in the actions package '{self.module_name}': {error.msg}",
                                  location=where, hint="fix the Python syntax at that line")
        return InvalidActions(
            f"importing the actions package '{self.module_name}' failed: {type(error).__name__}: {error}",
            location=where,
            hint="fix the code that runs at import time (see the traceback with --debug)",
        )

    # -- the ActionExecutor interface --------------------------------------------------------------

    @property
    def action_names(self) -> list[str]:
        """Every registered action name, sorted."""
        return sorted(self._executor.actions)

    def knows(self, action_name: str) -> bool:
        """Whether the package defines an action of that name."""
        return action_name in self._executor.actions

    async def run(self, action_name: str, tracker: dict[str, Any], domain: dict[str, Any] | None) -> ActionResult:
        """Runs one action as the action server would, translating rasa_sdk's exceptions to ours."""
        if domain is not None:
            self._last_domain = domain
        function = self._executor.actions.get(action_name)
        if function is None:
            raise self._not_found(action_name)
        call = build_action_call(action_name, tracker, domain if domain is not None else self._last_domain)
        try:
            # A JSON round trip gives the action its own copy (rasa_sdk's Tracker mutates its
            # events when forms add slots) and exactly the values it would get over HTTP.
            call = json.loads(json.dumps(call))
        except (TypeError, ValueError) as error:
            raise ActionFailed(action_name, f"the tracker or domain cannot be serialised to JSON ({error})") from error
        try:
            if inspect.iscoroutinefunction(function):
                result = await self._executor.run(call)
            else:
                # A plain `def run` (often doing blocking HTTP calls) must not stall the server's loop.
                result = await asyncio.to_thread(asyncio.run, self._executor.run(call))
        except ActionNotFoundException:
            raise self._not_found(action_name) from None
        except ActionExecutionRejection as rejection:
            raise ActionRejected(rejection.action_name or action_name, rejection.message) from None
        except Exception as error:
            logger.exception("Custom action '%s' raised an exception", action_name)
            raise ActionFailed(
                action_name, f"{type(error).__name__}: {error}",
                location=_user_location(error, self.project_dir),
                hint="fix the exception in the action's code; the user got the fallback response",
            ) from error
        data = result.model_dump() if result is not None else None
        try:
            data = json.loads(json.dumps(data))
        except (TypeError, ValueError) as error:
            raise ActionFailed(action_name, f"it returned a value that cannot be sent as JSON ({error})",
                               hint="use plain str/int/float/bool/list/dict values in events and messages") from error
        return check_result(action_name, data, self.where)

    async def close(self) -> None:
        """Nothing to release: the imported package stays loaded."""

    def _not_found(self, action_name: str) -> ActionNotFound:
        close = difflib.get_close_matches(action_name, self.action_names, n=1)
        known = ", ".join(self.action_names) or "none"
        hint = (f"did you mean '{close[0]}'? " if close else "") + (
            f"Define a rasa_sdk Action whose name() returns '{action_name}'. Known actions: {known}")
        return ActionNotFound(action_name, self.where, hint=hint)


def _put_first_on_path(directory: Path) -> None:
    """Puts the project folder first on sys.path, as running the action server from it would."""
    text = str(directory)
    sys.path[:] = [entry for entry in sys.path if _resolved(entry) != text]
    sys.path.insert(0, text)


def _forget_modules_from_elsewhere(top_level: str, project_dir: Path) -> None:
    """Drops `top_level` and its submodules from sys.modules when they were loaded from elsewhere.

    Another project (or the framework's example assistant) may have imported a package with
    the same name; importing again would silently return theirs.
    """
    loaded = sys.modules.get(top_level)
    if loaded is None or _is_under(loaded, project_dir):
        return
    logger.debug("Re-importing '%s' from %s (was loaded from %s)", top_level, project_dir, _module_location(loaded))
    for name in [name for name in sys.modules if name == top_level or name.startswith(top_level + ".")]:
        del sys.modules[name]


def _is_stale(action_class: type) -> bool:
    module = sys.modules.get(action_class.__module__)
    if module is None:
        return True
    current = getattr(module, action_class.__name__, action_class)
    return inspect.isclass(current) and current is not action_class


def _belongs_to(action_class: type, package: str) -> bool:
    """Whether the class is defined in `package` or imported into one of its modules."""
    if action_class.__module__ == package or action_class.__module__.startswith(package + "."):
        return True
    modules = [module for name, module in list(sys.modules.items())
               if module is not None and (name == package or name.startswith(package + "."))]
    return any(value is action_class for module in modules for value in vars(module).values())


def _module_paths(module: ModuleType) -> list[str]:
    paths = list(getattr(module, "__path__", None) or [])
    if not paths and getattr(module, "__file__", None):
        paths = [module.__file__]  # type: ignore[list-item]
    return [_resolved(path) for path in paths]


def _module_location(module: ModuleType) -> str:
    paths = _module_paths(module)
    return paths[0] if paths else "<unknown location>"


def _is_under(module: ModuleType, directory: Path) -> bool:
    return any(Path(path).is_relative_to(directory) for path in _module_paths(module))


def _resolved(entry: str) -> str:
    try:
        return str(Path(entry or ".").resolve())
    except OSError:
        return entry


def _user_location(error: BaseException, project_dir: Path) -> str | None:
    """file:line of the deepest traceback frame in the project's own code (where to look)."""
    found: str | None = None
    tb: TracebackType | None = error.__traceback__
    for frame in traceback.extract_tb(tb) if tb else []:
        if frame.filename and Path(frame.filename).resolve().is_relative_to(project_dir):
            found = location(frame.filename, frame.lineno)
    return found
