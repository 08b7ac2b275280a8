"""The adversarial class, one module per kind of student, written by ../adversarial_class.py.

student      the Student type (one submission and what it deserves), the assignments' notebooks
checks       attacks on the checks and the grading protocol
sandbox      attacks on the sandbox and the machine
reading      attacks on what the grader reads and the teacher sees
scan         a library answer by another name or route
blind_spots  the library called where the trap does not look, or in code the scan does not read
untidy       honest work, untidy (and the solutions handed in as they are)

Each kind's module holds its attacks' sources and a list STUDENTS; adversarial_class.py
puts the lists in the class's order. Importing them reads no file and imports only nbformat.
"""
