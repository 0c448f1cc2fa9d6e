"""A linear-chain conditional random field over token logits, batched and masked.

Used by DIET for BILOU entity tags (and for roles and groups). Sequences are left-aligned:
`mask[b, t]` is True for the first `length[b]` positions of row b.
"""

from __future__ import annotations

import torch
from torch import nn


class CRF(nn.Module):
    """Transition scores between tags; negative log-likelihood, Viterbi decoding and marginals."""

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

    def decode(self, logits: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Viterbi tags [B, T] (0 where masked) and the marginal probability of each chosen tag."""
        batch, steps, _ = logits.shape
        score = self.start + logits[:, 0]
        history = []
        for t in range(1, steps):
            total = score.unsqueeze(2) + self.transitions
            best, best_from = total.max(dim=1)
            step = best + logits[:, t]
            keep = mask[:, t : t + 1]
            score = torch.where(keep, step, score)
            # where masked, "come from yourself" so backtracking passes through padding unchanged
            identity = torch.arange(self.num_tags, device=logits.device).expand(batch, -1)
            history.append(torch.where(keep, best_from, identity))
        best_last = (score + self.end).argmax(dim=1)
        path = [best_last]
        for best_from in reversed(history):
            best_last = best_from.gather(1, best_last.unsqueeze(1)).squeeze(1)
            path.append(best_last)
        tags = torch.stack(list(reversed(path)), dim=1) * mask
        marginals = self.marginals(logits, mask)
        confidences = marginals.gather(2, tags.unsqueeze(2)).squeeze(2) * mask
        return tags, confidences

    def marginals(self, logits: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """p(tag at t | sequence) by forward-backward, [B, T, num_tags]."""
        steps = logits.shape[1]
        alphas = [self.start + logits[:, 0]]
        for t in range(1, steps):
            step = torch.logsumexp(alphas[-1].unsqueeze(2) + self.transitions, dim=1) + logits[:, t]
            alphas.append(torch.where(mask[:, t : t + 1], step, alphas[-1]))
        # beta at the last real position is `end`; padding keeps beta = end so it carries back
        betas = [self.end.expand_as(alphas[0])]
        for t in range(steps - 2, -1, -1):
            nxt = betas[0]
            step = torch.logsumexp(self.transitions + (logits[:, t + 1] + nxt).unsqueeze(1), dim=2)
            betas.insert(0, torch.where(mask[:, t + 1 : t + 2], step, nxt))
        alpha = torch.stack(alphas, 1)
        beta = torch.stack(betas, 1)
        return torch.softmax(alpha + beta, dim=2)
