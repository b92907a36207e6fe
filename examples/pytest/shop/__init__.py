"""A tiny shop used as bktec's example project."""
