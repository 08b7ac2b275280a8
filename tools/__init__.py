"""The kit's own tools, one folder per job; ``./kit help`` lists the commands (tools/cli.py).

    cli.py      the one table of commands, what ./kit hands over to
    setup/      set-up (.venv/, MXNet's libraries, the data) and the classroom bundle
    lessons/    the main job (./kit run), the lessons' facts, the #@save cells
    site/       the course site built from the executed lessons
    zh/         the Chinese edition: the twins kept in step, the Chinese student copies
    course/     the teacher's: grading a class, the classroom server
"""
