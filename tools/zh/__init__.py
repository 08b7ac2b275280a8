"""The Chinese edition: every English notebook and assignment has a twin with Chinese prose
and the same code, kept in step by fingerprints (twins.py, ``./kit twins``), and the
Chinese student copies of the assignments made from nbgrader's (release.py,
``./kit release-zh``).
"""
