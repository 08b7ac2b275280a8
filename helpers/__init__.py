"""Reusable code of the softmax regression kit, one module per concern.

Import what you need explicitly, e.g. ``from helpers.data import load_data_fashion_mnist``.
Importing a module does nothing heavy: no downloads, no plots, no global state.
"""
