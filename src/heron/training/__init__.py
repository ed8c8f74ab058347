"""Behaviour cloning of HeronPolicy on recorded demonstrations."""
