"""Task heads, one per file."""

from .classification import ClassificationHead, build_classification_head

__all__ = ["ClassificationHead", "build_classification_head"]
