"""The kit's own tools: set-up, the main job, the site, the Chinese edition, the course.

``./kit help`` lists the commands (tools/cli.py); each module here is one of them.
"""
