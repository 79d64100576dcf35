"""Network input features, vectorised over batches of positions."""

from alphatriangle.features.extractor import (
    BOARD_BASE_PLANES,
    FeatureExtractor,
    FeatureSpec,
    feature_spec,
    hands_from_other,
    positions_from_features,
)

__all__ = [
    "BOARD_BASE_PLANES",
    "FeatureExtractor",
    "FeatureSpec",
    "feature_spec",
    "hands_from_other",
    "positions_from_features",
]
