"""Axon models as data: one file per model with its parameters and source."""

from neuraxis.axons.models import mrg, sweeney

#: Registry of axon model names -> module holding the parameters.
MODELS = {"mrg": mrg, "sweeney": sweeney}

__all__ = ["MODELS", "mrg", "sweeney"]
