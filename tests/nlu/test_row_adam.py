"""RowAdam, used_rows and DIET's sparse projection gradient (bot/nlu/classifiers/row_adam.py, diet_model.py)."""

import torch
from torch.nn import functional as F

from bot.nlu.classifiers.diet_model import _SparseProjection
from bot.nlu.classifiers.row_adam import RowAdam, used_rows


def test_used_rows_renumbers_into_the_distinct_rows() -> None:
    indices = torch.tensor([7, 2, 7, 9, 2])
    columns, local = used_rows(indices, 10)
    assert columns.tolist() == [2, 7, 9]
    assert torch.equal(columns[local], indices)


def test_row_adam_matches_adam_on_the_rows_it_updates() -> None:
    torch.manual_seed(0)
    table = torch.randn(6, 3)
    reference = table.clone().requires_grad_()
    adam = torch.optim.Adam([reference], lr=0.01)
    row_adam = RowAdam(table, lr=0.01)
    columns = torch.tensor([1, 4])
    for _ in range(3):
        gradient = torch.randn(2, 3)
        full = torch.zeros(6, 3)
        full[columns] = gradient
        reference.grad = full
        adam.step()
        row_adam.step(columns, gradient)
    assert torch.allclose(table[columns], reference.detach()[columns], atol=1e-6)
    untouched = torch.tensor([0, 2, 3, 5])
    assert torch.equal(table[untouched], reference.detach()[untouched])


def test_sparse_projection_equals_embedding_bag_with_its_gradient() -> None:
    torch.manual_seed(0)
    table = torch.randn(20, 4, requires_grad=True)
    indices, offsets, weights = torch.randint(20, (15,)), torch.tensor([0, 4, 4, 9]), torch.rand(15)
    ours = _SparseProjection.apply(table, indices, offsets, weights)
    upstream = torch.randn_like(ours)
    (ours_grad,) = torch.autograd.grad(ours, table, upstream)
    theirs = F.embedding_bag(indices, table, offsets, mode="sum", per_sample_weights=weights)
    (theirs_grad,) = torch.autograd.grad(theirs, table, upstream)
    assert torch.allclose(ours, theirs, atol=1e-6)
    assert torch.allclose(ours_grad, theirs_grad, atol=1e-6)
