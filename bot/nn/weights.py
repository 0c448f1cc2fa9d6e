"""A model's weights as one `.npz` file of named float arrays (a torch state_dict, without torch)."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from bot.shared.errors import InvalidModel

__all__ = ["load_weights", "save_weights", "to_numpy"]


def to_numpy(state: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """A state_dict's tensors (or arrays) as numpy arrays, detached and on the CPU."""
    arrays = {}
    for name, value in state.items():
        if hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        arrays[name] = np.ascontiguousarray(value)
    return arrays


def save_weights(state: Mapping[str, Any], path: Path) -> None:
    # written through an open file: np.savez would append ".npz" to a name without it
    with open(path, "wb") as file:
        np.savez(file, **to_numpy(state))


def load_weights(path: Path) -> dict[str, np.ndarray]:
    """The arrays saved by `save_weights`; a missing or damaged file is an InvalidModel."""
    if not path.is_file():
        raise InvalidModel(f"{path} is missing: the model is incomplete or was written by an older version",
                           hint="retrain the model (`bot train --force`)")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise InvalidModel(f"cannot read the weights in {path}: {error}",
                           hint="retrain the model (`bot train --force`)") from None
