"""Grading a class: each submission in its own sandbox, judged outside it.

One module per concern, each read top to bottom:

- checks:     the grading protocol: the checks the test cells call, the records they write,
              the judges that read them; the one part of grading/ a sandbox shows (with
              this file, which therefore imports nothing) and the student bundle keeps
- limits:     the limits of one submission (time, CPU, memory, processes, files)
- clock:      the time a notebook is charged: wall time less its kernel's waits for a CPU
- sandbox:    a bubblewrap sandbox per submission: no network, only its own scratch writable
- zygote:     a warm process (MXNet imported) that forks each student's kernel into a sandbox
- executor:   runs a notebook's cells in that kernel, with a time limit per cell
- ipynb:      reads a submitted file as a notebook's JSON, whatever it holds
- notebook:   restores the course's cells around a student's answers and added cells
- submissions: which notebook of each student's folder is graded
- scan:       reads the student's code for calls of the kit's or a library's answers
- reference:  the grader's own reference answers, never visible inside a sandbox
- verdict:    the points of each test cell, from the plain data the checks recorded
- gradebook:  nbgrader's gradebook and autograded/ notebooks, written by the grader alone
- feedback:   the students' feedback pages, inert HTML
- worker:     one worker slot: runs one notebook after another, each in a fresh sandbox
- grade:      one notebook graded in a slot: the source's reference run, or a submission
- run:        a whole class, in parallel, with a progress bar and a summary

Importing the package does nothing heavy.
"""
