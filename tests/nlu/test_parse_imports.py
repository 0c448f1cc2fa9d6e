"""Parsing with a loaded pipeline needs neither scikit-learn nor torch: both stay out of `bot run`'s start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.nlu.pipeline import NLUPipeline
from bot.shared.nlu.readers import load_nlu_files

REPO = Path(__file__).resolve().parents[2]
NLU = """
version: "3.1"
nlu:
- intent: greet
  metadata: {language: en}
  examples: |
    - hello there
    - good morning
    - hi
- intent: greet_de
  metadata: {language: de}
  examples: |
    - hallo zusammen
    - guten Morgen
    - servus
    - hallo [Anna](name)
"""
PIPELINE = {
    "language": "en",
    "pipeline": [
        {"name": "WhitespaceTokenizer"},
        {"name": "LanguageDetector"},
        {"name": "RegexFeaturizer"},
        {"name": "LexicalSyntacticFeaturizer"},
        {"name": "CountVectorsFeaturizer", "max_ngram": 2},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        {"name": "DIETClassifier", "epochs": 2, "number_of_transformer_layers": 1, "transformer_size": 16},
        {"name": "CRFEntityExtractor"},
        {"name": "LogisticRegressionClassifier"},
        {"name": "EntitySynonymMapper"},
        {"name": "FallbackClassifier"},
    ],
}
PROBE = """
import json, sys
from pathlib import Path
from bot.nlu.pipeline import NLUPipeline
result = NLUPipeline.load(Path(sys.argv[1])).parse("good morning")
print(json.dumps({"sklearn": any(m == "sklearn" or m.startswith("sklearn.") for m in sys.modules),
                  "torch": any(m == "torch" or m.startswith("torch.") for m in sys.modules),
                  "language": result["language"]["name"], "intent": result["intent"]["name"]}))
"""


def test_loading_and_parsing_imports_neither_scikit_learn_nor_torch(tmp_path: Path) -> None:
    (tmp_path / "nlu.yml").write_text(NLU, encoding="utf-8")
    pipeline = NLUPipeline.from_config(PIPELINE)
    pipeline.train(load_nlu_files([tmp_path / "nlu.yml"]))
    pipeline.persist(tmp_path / "nlu")
    expected = pipeline.parse("good morning")
    out = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "nlu")], capture_output=True, text=True,
                         cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, check=True).stdout
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen == {"sklearn": False, "torch": False, "language": expected["language"]["name"], "intent": expected["intent"]["name"]}
