"""The shape of a DIET network, stored with its weights so either runtime can rebuild it."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.nlu.classifiers.features import FeatureDims

__all__ = ["TAG_SETS", "ModelSpec"]

TAG_SETS = ("entity", "role", "group")  # stacked in this order, as in Rasa's DIET


@dataclass
class ModelSpec:
    """Everything needed to rebuild the network before loading its state_dict (stored as JSON)."""

    dims: FeatureDims
    num_labels: int
    num_tags: dict[str, int] = field(default_factory=dict)  # tag set -> number of tags (incl. "O")
    dense_dimension: int = 128
    hidden_layers_sizes: list[int] = field(default_factory=list)
    number_of_transformer_layers: int = 2
    transformer_size: int = 256
    number_of_attention_heads: int = 4
    unidirectional_encoder: bool = False
    drop_rate: float = 0.2
    drop_rate_attention: float = 0.0
    sparse_input_dropout: bool = True
    dense_input_dropout: bool = False
    embedding_dimension: int = 20
    similarity_type: str = "inner"
    intent_classification: bool = True
    scale_loss: bool = False
    constrain_similarities: bool = False
    # Rasa's transformer: inputs x sqrt(transformer_size) before the position encodings are added,
    # GELU on its outputs. False only in models trained before these were added (they load unchanged).
    rasa_transformer_scaling: bool = False
    # Rasa's RandomlyConnectedDense: the share of each hidden and transformer weight matrix that is
    # trained (the rest stays 0). Training only: a trained network's zeros need no mask to answer.
    connection_density: float = 1.0

    @property
    def sentence_only(self) -> bool:
        """Tokens cannot change the result: no transformer mixes them into the sentence, no tagging;
        then only each example's CLS row needs computing, in training and in inference."""
        return self.number_of_transformer_layers <= 0 and not self.num_tags
