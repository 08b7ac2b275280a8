"""Which module holds each assignment's checks: ASSIGNMENTS, by the course's folder name.

One module per assignment of course/source/ (a1_softmax.py ... a8_tuning.py) holds its
checks, their judges, their inputs and the student-side reference answers; common.py the
generic checks and the judges' tools. Importing this module loads them all (the grader's
kernels do, ahead of time), and with them every judge (judge.JUDGES).
"""
from grading.checks import (a1_softmax, a2_data, a3_scratch, a4_concise, a5_devices,
                            a6_gradient, a7_calibration, a8_tuning, common)

ASSIGNMENTS = {"a1_softmax": a1_softmax, "a2_data": a2_data, "a3_scratch": a3_scratch,
               "a4_concise": a4_concise, "a5_devices": a5_devices, "a6_gradient": a6_gradient,
               "a7_calibration": a7_calibration, "a8_tuning": a8_tuning}
GENERIC = common  # check_shape, check_dtype, check_finite, check_probabilities, check_close
