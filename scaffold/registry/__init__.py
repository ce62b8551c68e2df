"""Registration sync: one source of truth per model, every other registration derived from it."""
