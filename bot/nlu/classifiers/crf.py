"""A linear-chain conditional random field over token logits, batched and masked.

Used to train DIET's BILOU entity tags (and roles and groups); decoding a trained CRF is
`diet_inference.CrfDecoder`, in numpy. Sequences are left-aligned: `mask[b, t]` is True for the
first `length[b]` positions of row b.
"""

from __future__ import annotations

import torch
from torch import nn


class CRF(nn.Module):
    """Transition scores between tags and the negative log-likelihood of tag sequences."""

    def __init__(self, num_tags: int) -> None:
        super().__init__()
        self.num_tags = num_tags
        self.transitions = nn.Parameter(torch.zeros(num_tags, num_tags))  # [from, to]
        self.start = nn.Parameter(torch.zeros(num_tags))
        self.end = nn.Parameter(torch.zeros(num_tags))

    def neg_log_likelihood(self, logits: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean over sequences with at least one token of -log p(tags | logits); 0 if none."""
        has_tokens = mask[:, 0]
        if not bool(has_tokens.any()):
            return logits.sum() * 0.0
        logits, tags, mask = logits[has_tokens], tags[has_tokens], mask[has_tokens]
        return (self._log_partition(logits, mask) - self._score(logits, tags, mask)).mean()

    def _score(self, logits: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        maskf = mask.to(logits.dtype)
        unary = logits.gather(2, tags.unsqueeze(2)).squeeze(2)
        score = (unary * maskf).sum(1) + self.start[tags[:, 0]]
        if tags.shape[1] > 1:
            pair = self.transitions[tags[:, :-1], tags[:, 1:]]
            score = score + (pair * maskf[:, 1:]).sum(1)
        last = tags.gather(1, (mask.sum(1) - 1).unsqueeze(1)).squeeze(1)
        return score + self.end[last]

    def _log_partition(self, logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        alpha = self.start + logits[:, 0]
        for t in range(1, logits.shape[1]):
            step = torch.logsumexp(alpha.unsqueeze(2) + self.transitions, dim=1) + logits[:, t]
            alpha = torch.where(mask[:, t : t + 1], step, alpha)
        return torch.logsumexp(alpha + self.end, dim=1)
