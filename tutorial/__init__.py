"""The tutorial's checkpoints, derived from this tree (see checkpoints.toml)."""
