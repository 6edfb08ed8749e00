"""Helpers shared by the tests: services they need and server processes they start."""
