"""Backends: the tt-level IR -> source text of a target language (Triton today)."""
