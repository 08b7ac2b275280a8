"""Set-up: ``./kit setup`` (env.py) makes .venv/ with the pinned packages and the kit, checks
MXNet's system libraries, installs what a command needs and verifies the data.

``./kit`` runs ``python -m tools.setup.env`` with whatever Python 3.11 it found, before
.venv/ exists: env.py and the modules it draws on (messages, machine, python, pins,
commands) use the standard library only. bundle.py (``./kit bundle``) packs the kit, the
wheels and the data for a classroom with no network, which set-up then installs from; it
runs in .venv/.
"""
