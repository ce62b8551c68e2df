"""tfscaffold: port transformers models from PyTorch to TensorFlow."""

__version__ = "0.1.0"
