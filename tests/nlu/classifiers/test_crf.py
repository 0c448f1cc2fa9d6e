"""The linear-chain CRF (torch, training) and its decoder (numpy, inference) against brute-force
enumeration on tiny sequences."""

from __future__ import annotations

import itertools

import torch

from bot.nlu.classifiers.crf import CRF
from bot.nlu.classifiers.diet_inference import CrfDecoder


def _crf() -> CRF:
    torch.manual_seed(0)
    crf = CRF(3)
    with torch.no_grad():
        for parameter in crf.parameters():
            parameter.normal_()
    return crf


def _path_score(crf: CRF, logits: torch.Tensor, path: tuple[int, ...]) -> float:
    score = crf.start[path[0]] + crf.end[path[-1]] + sum(logits[t, tag] for t, tag in enumerate(path))
    score = score + sum(crf.transitions[a, b] for a, b in zip(path, path[1:], strict=False))
    return float(score.detach())


def test_likelihood_decode_and_marginals_match_brute_force() -> None:
    crf = _crf()
    logits = torch.randn(2, 4, 3)
    mask = torch.tensor([[True, True, True, True], [True, True, False, False]])
    tags = torch.tensor([[0, 1, 2, 1], [2, 0, 0, 0]])
    decoder = CrfDecoder(*(parameter.detach().numpy() for parameter in (crf.transitions, crf.start, crf.end)))
    nll = 0.0
    for b, length in enumerate([4, 2]):
        paths = list(itertools.product(range(3), repeat=length))
        scores = torch.tensor([_path_score(crf, logits[b], p) for p in paths])
        log_z = torch.logsumexp(scores, 0)
        nll += float(log_z) - _path_score(crf, logits[b], tuple(tags[b, :length].tolist()))
        best = paths[int(scores.argmax())]
        decoded, confidences = decoder.decode(logits[b, :length].numpy())
        assert tuple(decoded.tolist()) == best
        probs = torch.softmax(scores, 0)
        for t in range(length):
            marginal = sum(float(p) for p, path in zip(probs, paths, strict=False) if path[t] == best[t])
            assert abs(float(confidences[t]) - marginal) < 1e-4
    assert abs(float(crf.neg_log_likelihood(logits, tags, mask)) - nll / 2) < 1e-4


def test_sequences_without_tokens_do_not_count() -> None:
    crf = _crf()
    logits = torch.randn(2, 2, 3)
    tags = torch.zeros(2, 2, dtype=torch.long)
    only_first = crf.neg_log_likelihood(logits[:1], tags[:1], torch.tensor([[True, True]]))
    both = crf.neg_log_likelihood(logits, tags, torch.tensor([[True, True], [False, False]]))
    assert torch.allclose(only_first, both)
    empty = crf.neg_log_likelihood(logits[1:], tags[1:], torch.tensor([[False, False]]))
    assert float(empty) == 0.0
