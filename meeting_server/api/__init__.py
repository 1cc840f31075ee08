"""Thin REST transport: parse, authenticate, call actions or views, answer JSON."""
