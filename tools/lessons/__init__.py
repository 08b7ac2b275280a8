"""The lessons: which notebooks they are and what they report (notebooks.py), executing them
headless and reporting, then rendering the site (run.py, ``./kit run``), and rewriting their
``#@save`` cells from helpers/ (sync_saved.py, ``./kit sync-saved``).
"""
