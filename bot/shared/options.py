"""Validating the options a user writes under a component or policy in config.yml."""

from __future__ import annotations

import difflib
import logging
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.shared.errors import InvalidConfig

logger = logging.getLogger(__name__)

ConfigT = TypeVar("ConfigT", bound=BaseModel)


def validate_options(model: type[ConfigT], options: dict[str, Any], where: str, hint: str) -> ConfigT:
    """`model` built from `options` (without `name`); wrong values raise InvalidConfig naming `where`.

    Options the model does not declare are kept (real Rasa configs carry many we do not use) and
    logged with the closest known name.
    """
    options = {k: v for k, v in options.items() if k != "name"}
    try:
        config = model(**options)
    except ValidationError as error:
        problems = "; ".join(f"option '{'.'.join(str(p) for p in e['loc'])}': {e['msg']}" for e in error.errors())
        raise InvalidConfig(f"{where}: {problems}", hint=hint) from None
    known = sorted(model.model_fields)
    for key in sorted(config.model_extra or {}):
        close = difflib.get_close_matches(key, known, n=1)
        logger.warning("%s: option '%s' is not used by this framework%s", where, key,
                       f" (did you mean '{close[0]}'?)" if close else "")
    return config
