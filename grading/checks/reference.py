"""The reference answers a student's own checks compare with, gathered under one name.

Each answer is written in its assignment's module, beside its check (a1_softmax.py ...
a8_tuning.py); this module is the `ref` the judges are handed in a student's notebook
(session.py). NumPy float64; where a task asks for a derivation (the gradients of a
loss), the answer is measured by finite differences instead of stated: it checks a
student's work without handing it out.

Why two references: the grader never uses these. A graded notebook runs in a sandbox
that holds these checks (grading/checks/, the one part of grading/ a sandbox shows), so a
student's code can read, import or change anything here; the grader judges in its own process with its own copy, grading/reference.py,
which no sandbox can see, written apart from this one. tests/test_checks.py keeps the
two in agreement.
"""
from grading.checks.a1_softmax import logsumexp, softmax
from grading.checks.a2_data import dataset_labels, labels, to_tensor
from grading.checks.a3_scratch import (correct_count, cross_entropy, sgd_step, test_accuracy,
                                       train_epoch)
from grading.checks.a4_concise import loss, one_hot
from grading.checks.a5_devices import step_argument_is
from grading.checks.a6_gradient import regularized_loss, smooth_gradients, softmax_ce_gradient
from grading.checks.a7_calibration import best_temperature, ece, nll
from grading.checks.a8_tuning import best_setting, validation_count

__all__ = ["best_setting", "best_temperature", "correct_count", "cross_entropy",
           "dataset_labels", "ece", "labels", "logsumexp", "loss", "nll", "one_hot",
           "regularized_loss", "sgd_step", "smooth_gradients", "softmax", "softmax_ce_gradient",
           "step_argument_is", "test_accuracy", "to_tensor", "train_epoch", "validation_count"]
