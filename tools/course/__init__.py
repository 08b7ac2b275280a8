"""The teacher's tools for a class: grading every submission in a sandbox (grade.py,
``./kit grade``; the grader itself is grading/), the classroom server, JupyterHub with the
course on it (hub.py, ``./kit hub``, and the hub_*.py modules it draws on; hub_client.py
is a user of it over HTTP, for the tests and the load benchmark), and running a command
as an ordinary user (as_user.py).
"""
