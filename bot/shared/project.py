"""A Rasa project on disk: where config, domain, training data and test stories are."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.shared.errors import BotError
from bot.shared.nlu.training_data import TrainingData

YAML_SUFFIXES = (".yml", ".yaml")
NLU_SUFFIXES = (*YAML_SUFFIXES, ".json")  # Rasa 3 still trains on its JSON NLU format


@dataclass
class Project:
    """Paths of one project, resolved like Rasa's CLI defaults (config.yml, domain.yml or domain/, data/)."""

    root: Path
    config_path: Path
    domain_path: Path | None
    data_paths: list[Path]
    tests_path: Path | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def discover(
        cls,
        root: str | Path = ".",
        *,
        config: str | Path | None = None,
        domain: str | Path | None = None,
        data: list[str | Path] | None = None,
    ) -> Project:
        root = Path(root)
        config_path = Path(config) if config else root / "config.yml"
        if not config_path.exists():
            raise BotError(f"no config file at '{config_path}'",
                           hint="run inside a project folder or pass --config PATH")
        if domain:
            domain_path: Path | None = Path(domain)
        elif (root / "domain.yml").exists():
            domain_path = root / "domain.yml"
        elif (root / "domain").is_dir():
            domain_path = root / "domain"
        else:
            domain_path = None
        data_paths = [Path(p) for p in data] if data else [root / "data"]
        for path in data_paths:
            if not path.exists():
                raise BotError(f"training data path '{path}' does not exist", hint="pass --data PATH")
        tests = root / "tests"
        return cls(root, config_path, domain_path, data_paths, tests if tests.is_dir() else None)

    def yaml_files(self, suffixes: tuple[str, ...] = YAML_SUFFIXES) -> list[Path]:
        """Every YAML file (or file with one of `suffixes`) under the data paths, sorted for stable training."""
        files: list[Path] = []
        for path in self.data_paths:
            if path.is_file():
                files.append(path)
            else:
                files.extend(p for p in sorted(path.rglob("*")) if p.suffix in suffixes and p.is_file())
        return files

    @property
    def nlu_files(self) -> list[Path]:
        from bot.shared.nlu.readers import is_nlu_file

        return [p for p in self.yaml_files(NLU_SUFFIXES) if is_nlu_file(p) and not self._is_domain(p)]

    def _is_domain(self, path: Path) -> bool:
        # domain.yml has `responses:` too, which would make it look like an NLU file
        if self.domain_path is None:
            return False
        domain = self.domain_path.resolve()
        return path.resolve() == domain or domain in path.resolve().parents

    @property
    def story_files(self) -> list[Path]:
        from bot.shared.core.stories_yaml import is_story_file

        return [p for p in self.yaml_files() if is_story_file(p)]

    def load_config(self) -> Any:
        from bot.shared.config import load_config

        if "config" not in self._cache:
            self._cache["config"] = load_config(self.config_path)
        return self._cache["config"]

    def load_domain(self) -> Any:
        """The domain, plus retrieval responses written in NLU files (Rasa merges those in too)."""
        from bot.shared.core.domain import Domain, load_domain

        if "domain" not in self._cache:
            domain = load_domain(self.domain_path) if self.domain_path else Domain.empty()
            nlu_responses = self._raw_nlu_data().responses
            if nlu_responses:
                domain = domain.merge(Domain.from_dict({"responses": nlu_responses}))
            self._cache["domain"] = domain
        return self._cache["domain"]

    def _raw_nlu_data(self) -> TrainingData:
        from bot.shared.nlu.readers import load_nlu_files

        if "raw_nlu" not in self._cache:
            self._cache["raw_nlu"] = load_nlu_files(self.nlu_files)
        return self._cache["raw_nlu"]

    def load_nlu_data(self) -> TrainingData:
        """NLU examples from data/, plus retrieval responses (utter_faq/...) written in the domain."""
        from bot.shared.nlu.readers import fill_response_phrases

        if "nlu" not in self._cache:
            data = self._raw_nlu_data()
            if self.domain_path:
                domain_responses = getattr(self.load_domain(), "responses", {}) or {}
                retrieval = {k: v for k, v in domain_responses.items() if "/" in k}
                data.responses = {**retrieval, **data.responses}
                fill_response_phrases(data)
            self._cache["nlu"] = data
        return self._cache["nlu"]
