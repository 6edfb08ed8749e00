"""The tutorial's checkpoints, derived from this tree (see docs/tutorial/README.md)."""
