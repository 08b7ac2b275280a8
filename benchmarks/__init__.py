"""The kit's benchmarks: training speed (``./kit bench``) and grading speed (``./kit bench-grading``)."""
