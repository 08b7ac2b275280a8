"""Checks for the graded exercises in course/: friendly AssertionErrors for students.

Every ``check_*`` function passes silently on a right answer and otherwise raises
AssertionError with a message that says what is wrong and where: the row that does not
sum to 1 and its sum, the shape expected and the shape got, the logits that gave nan.
The test cells of course/source/*/ call them; students may call them while they work.
When the grader runs a notebook, the same calls only record what the student's code
returned, as plain data, and the grader judges it in its own process (session.py).

One exercise, one place: each assignment's module (a1_softmax.py ... a8_tuning.py, listed
in tasks.py) holds its checks, each beside its judge, the inputs it draws and its
student-side reference answers; common.py the generic checks and the judges' tools.
A check draws its inputs from a seed, runs the student's code through `run.call` (the
grader traps forbidden library calls there) and hands what came back, as plain data, to
`run.finish`; its judge, registered with `@judge`, decides from that record, comparing
with the reference answers: in a student's notebook the ones beside the check (gathered
under one name in reference.py), when graded the grader's own, grading/reference.py,
which no sandbox can see. The messages a student reads are in messages.py and
messages_zh.py, under keys that start with the check's name ("softmax.axis").
Around them: judge (the registry of judges), inputs (the draws every assignment shares),
reference (the student-side answers under one name), convert (student objects to plain
data), records (the file format), messages (every sentence a student reads, keys
starting with the check's name), session (judge now or record for the grader), trap
(forbidden library calls). Importing is cheap: MXNet is imported inside the checks that
build arrays.
"""
from grading.checks.a1_softmax import check_keeps_input, check_logsumexp, check_softmax
from grading.checks.a2_data import check_batch, check_iterators, check_labels, check_to_tensor
from grading.checks.a3_scratch import (check_accuracy, check_accuracy_bar, check_cross_entropy,
                                       check_sgd, check_train_epoch)
from grading.checks.a4_concise import (check_concise_net, check_dense_labels, check_loss,
                                       check_trainer)
from grading.checks.a5_devices import (check_replicas, check_split_batch, check_step_argument,
                                       check_try_gpu)
from grading.checks.a6_gradient import (check_numerical_gradients, check_regularized_loss,
                                        check_softmax_ce_gradient, check_vectorised)
from grading.checks.a7_calibration import (check_calibration_report, check_ece,
                                           check_fit_temperature, check_temperature_nll)
from grading.checks.a8_tuning import check_select_setting, check_stratified_folds, check_tuning
from grading.checks.common import (check_close, check_dtype, check_finite, check_probabilities,
                                   check_shape)

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
