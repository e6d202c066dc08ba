"""Code generators for checked models: `torch` writes a standalone PyTorch module."""
