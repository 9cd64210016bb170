"""Agents: each builds its static graph of act, store and train ops."""
