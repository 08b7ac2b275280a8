"""Checks for the graded exercises in course/: friendly AssertionErrors for students.

Every ``check_*`` function passes silently on a right answer and otherwise raises
AssertionError with a message that says what is wrong and where: the row that does not
sum to 1 and its sum, the shape expected and the shape got, the logits that gave nan.
The test cells of course/source/*/ call them; students may call them while they work.
When the grader runs a notebook, the same calls only record what the student's code
returned, as plain data, and the grader judges it in its own process (session.py).

One module per concern: tasks (the checks), inputs (seeded inputs), convert (student
objects to plain data), records (the file format), judge (the verdicts), reference (the
answers a student's checks compare with), messages (every sentence a student reads),
session (judge now or record for the grader). Importing is cheap: MXNet is imported
inside the checks that build arrays.
"""
from helpers.checks.tasks import (check_accuracy, check_accuracy_bar, check_batch,
                                  check_calibration_report, check_close, check_concise_net,
                                  check_cross_entropy, check_dense_labels, check_dtype,
                                  check_ece, check_finite, check_fit_temperature,
                                  check_iterators, check_keeps_input, check_labels,
                                  check_logsumexp, check_loss, check_numerical_gradients,
                                  check_probabilities, check_regularized_loss, check_replicas,
                                  check_select_setting, check_sgd, check_shape, check_softmax,
                                  check_softmax_ce_gradient, check_split_batch,
                                  check_step_argument, check_stratified_folds,
                                  check_temperature_nll, check_to_tensor, check_train_epoch,
                                  check_trainer, check_try_gpu, check_tuning, check_vectorised)

__all__ = ["check_accuracy", "check_accuracy_bar", "check_batch", "check_calibration_report",
           "check_close", "check_concise_net", "check_cross_entropy", "check_dense_labels",
           "check_dtype", "check_ece", "check_finite", "check_fit_temperature",
           "check_iterators", "check_keeps_input", "check_labels", "check_logsumexp",
           "check_loss", "check_numerical_gradients", "check_probabilities",
           "check_regularized_loss", "check_replicas", "check_select_setting", "check_sgd",
           "check_shape", "check_softmax", "check_softmax_ce_gradient", "check_split_batch",
           "check_step_argument", "check_stratified_folds", "check_temperature_nll",
           "check_to_tensor", "check_train_epoch", "check_trainer", "check_try_gpu",
           "check_tuning", "check_vectorised"]
