"""Shared fixtures of the validation tests."""

from __future__ import annotations

from types import ModuleType

import pytest


@pytest.fixture(scope="session")
def neuron_ref() -> ModuleType:
    """The NEURON reference module with its mechanisms compiled and loaded.

    Skips the requesting test when NEURON is not installed.
    """
    pytest.importorskip("neuron")
    from neuraxis.axons import neuron_ref as module

    module.compile_mechanisms()
    return module
