"""The only package that calls the kernel through ctypes.

Everything above it calls these functions by name, so that a test can swap the
module's functions for a recorder and assert which calls were made without root.
"""
