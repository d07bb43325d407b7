"""Workflow definitions: the YAML schema, the loader with located errors, the compiled model."""

from storning.definitions.loader import load_directory, load_file, load_text
from storning.definitions.model import EffectCall, Track, Transition, Workflow

__all__ = [
    "EffectCall",
    "Track",
    "Transition",
    "Workflow",
    "load_directory",
    "load_file",
    "load_text",
]
