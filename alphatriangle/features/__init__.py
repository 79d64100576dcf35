"""Network input features, vectorised over batches of positions."""

from alphatriangle.features.extractor import FeatureExtractor, FeatureSpec, feature_spec

__all__ = ["FeatureExtractor", "FeatureSpec", "feature_spec"]
