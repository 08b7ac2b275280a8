"""Every sentence a student reads from the checks and from the grader's feedback, in one place.

A message is a template with named fields, filled in by `say`. The catalogue is in
sections, one per module that says it: common.py's keys and those several assignments
share name no task ("shape", "finite.cell", "one_loss_per_example"); an assignment's own
keys start with the name of its check ("softmax.axis" is check_softmax's, in
a1_softmax.py); the grader's start with "grading.". A translation is one more dict with
the same keys; `say` falls back to English for a key it lacks.
"""

ENGLISH = {
    # ---------------------------------------------------------------- common.py, and shared
    "none": "{name} is None: did you forget a return statement?",
    "hint": "; {hint}",
    "not_array": "{name} should be an array, got {got}",
    "too_large": "{name} is too large to check ({size} values)",
    "shape": "{name}: expected shape {expected}, got {got}{why}",
    "shape.transpose": " (the transpose: are the axes swapped?)",
    "shape.scalar": " (a single number: did you sum or average over the whole batch?)",
    "shape.missing_axis": " (an axis is missing: summed without keepdims=True?)",
    "shape.extra_axis": " (one axis too many)",
    "dtype": "{name}: expected dtype {expected}, got {got}",
    "finite": "{kind} in {name}{context}{at}",
    "finite.cell": " (row {row}, column {column})",
    "finite.entry": " (entry {entry})",
    "probabilities.ndim": "{name}: expected a 2-d array (batch, classes), got shape {shape}",
    "probabilities.negative": ("probabilities must be non-negative; row {row}, column {column} "
                               "is {value}"),
    "probabilities.sum": "rows must sum to 1; row {row} sums to {total}",
    "close.scalar": "{name} is {got}, expected {expected}",
    "close.row": "{name}: row {index} is {got}, expected {expected}",
    "close.entry": "{name}: entry {index} is {got}, expected {expected}",
    "logits_around": "for logits around {offset}",
    "keep_dtype": "keep the dtype of X",
    "one_loss_per_example": "one loss per example",
    "close.scalar.hidden": "{name} is {got}, not the right value (this task shows no expected value: work it out)",
    "close.row.hidden": "{name}: row {index} is {got}, not the right value (this task shows no expected value: work it out)",
    "close.entry.hidden": "{name}: entry {index} is {got}, not the right value (this task shows no expected value: work it out)",
    "logits_mixed": "for logits around {offset} in some rows and around {minus} in others, in one batch",
    # ---------------------------------------------------------------- a1_softmax.py
    "keeps_input": ("{name} changed its input X in place (X -= ... rewrites the caller's "
                    "array); compute a new array instead, e.g. X - m"),
    "softmax.axis": "{name} works along the last axis, not along axis {axis}: use the axis you are given",
    # ---------------------------------------------------------------- a2_data.py
    "labels.type": "get_fashion_mnist_labels should return a list, got {got}",
    "labels.count": ("get_fashion_mnist_labels should return {want} names for {want} labels, "
                     "got {got}"),
    "labels.name": "label {label} should be {want}, got {got}",
    "batch.pixels": ("X: pixel values must lie in [0, 1], they range from {low} to {high} "
                     "(ToTensor scales them)"),
    "batch.labels": "y: labels must be classes 0..9, got values from {low} to {high}",
    "iterators.count": ("{name} should have {want} batches of up to {batch_size} ({n} "
                        "examples, the last batch smaller), got {got}"),
    "iterators.test_shuffled": ("test_iter must not be shuffled: its first labels should be "
                                "{want}, got {got}"),
    "iterators.train_in_order": ("train_iter should be shuffled: its first batch holds the "
                                 "first {n} training examples in order (shuffle=True)"),
    "to_tensor.call": "to_tensor(images) for images of shape {shape}",
    "to_tensor.channels": "{name}: expected shape {expected}, got {got}: the channel axis must come first, after the batch axis",
    "to_tensor.range": "{name}: values must lie in [0, 1]; they range from {low} to {high} (divide by 255)",
    "to_tensor.reshape": "{name}: the shape is right, the values are in the wrong places: reshape keeps the values in their stored order (channels last); moving an axis needs transpose",
    "to_tensor.axes": "{name}: height and width are swapped: keep their order, move only the channel axis",
    # ---------------------------------------------------------------- a3_scratch.py
    "cross_entropy.sign": ("cross_entropy(y_hat, y) has the wrong sign: it is -log of the "
                           "probability of the true class, a positive number"),
    "accuracy.shape": "accuracy(y_hat, y) should be one number, got an array of shape {shape}",
    "accuracy.number": "accuracy(y_hat, y) should be a number, got {got}",
    "accuracy.count": ("accuracy(y_hat, y) for y_hat as {form} should be {want} ({right} of "
                       "{n} right), got {got}"),
    "accuracy.scores": "scores ({n}, {q})",
    "accuracy.classes": "predicted classes ({n},)",
    "sgd.returned": ("sgd must update the parameters in place (param[:] = ...); it returned "
                     "something and left W unchanged"),
    "sgd.unchanged": ("sgd left the parameters unchanged: update them in place with "
                      "param[:] = param - lr * param.grad / batch_size"),
    "sgd.no_division": ("sgd: {name} moved by lr * grad; divide the gradient by batch_size "
                        "(the loss is summed over the batch)"),
    "sgd.after": "{name} after sgd(params, lr={lr}, batch_size={batch_size})",
    "train_epoch.result": "train_epoch should return a tuple (mean loss, accuracy), got {got}",
    "train_epoch.unchanged": ("train_epoch left the parameters unchanged: call "
                              "updater(X.shape[0]) after l.backward()"),
    "train_epoch.fraction": ("train_epoch: the accuracy should be a fraction in [0, 1], got "
                             "{got} (divide the correct count by the number of examples)"),
    "train_epoch.loss": ("train_epoch: the mean loss over the epoch should be {want}, got "
                         "{got} (sum the loss over every example, then divide by the number "
                         "of examples, {n})"),
    "train_epoch.accuracy": "train_epoch: the accuracy over the epoch should be {want}, got {got}",
    "train_epoch.weights": ("the weights after one epoch (is the update done once per batch, "
                            "with the batch's own size X.shape[0]?)"),
    "accuracy_bar.none": "test_acc is None: assign the test accuracy to test_acc",
    "accuracy_bar.number": "test_acc should be a number, got {got}",
    "accuracy_bar.fraction": "test_acc should be a fraction in [0, 1], got {got}",
    "accuracy_bar.below": ("test accuracy {acc:.3f} after {num_epochs} epochs is not above the "
                           "bar {bar}: check the learning rate and train_epoch"),
    "accuracy_bar.mismatch": ("test_acc is {got:.3f}, but the trained model's accuracy on the "
                              "test set is {measured:.3f}: assign evaluate_accuracy(net, "
                              "test_iter) to test_acc after training"),
    "accuracy_bar.model": "the model to evaluate should be {what}, got {got}",
    "accuracy.fraction": "accuracy(y_hat, y) should count the correct predictions: expected {want}, got {got} (a fraction: don't divide by len(y), the caller does)",
    # ---------------------------------------------------------------- a4_concise.py
    "concise_net.uninitialized": "net is not initialized: call net.initialize(...) before using it",
    "concise_net.call": "net(X) for X of shape (2, 1, 28, 28)",
    "concise_net.layers": ("net should have exactly one layer with weights (a Dense layer), found "
                   "{found}"),
    "concise_net.weight": "the Dense layer's weight",
    "concise_net.sigma": ("the weights should be drawn from a normal distribution with sigma={sigma}: "
                  "their standard deviation is {std} (init.Normal(sigma={sigma}); training "
                  "changes the weights, so re-run the cell that builds net before this one)"),
    "loss.logits": "(it takes logits, not probabilities)",
    "trainer.type": "trainer should be a gluon.Trainer, got {got}",
    "trainer.optimizer": "trainer should use the 'sgd' optimizer, got {got!r}",
    "trainer.lr": "trainer's learning rate should be {want}, got {got}",
    "trainer.params": ("trainer should update exactly the parameters of net: pass "
                       "net.collect_params()"),
    "dense_labels.call": "dense_loss(logits, one_hot(y, q))",
    # ---------------------------------------------------------------- a5_devices.py
    "try_gpu": "try_gpu({i}) on a machine with {there} should be {want}, got {got}",
    "try_gpu.gpus": "{n} GPU{s}",
    "try_gpu.all": "try_all_gpus() on a machine with {n} GPUs should be the list {want}, got {got}",
    "split_batch.result": "split_batch should return (X_shards, y_shards), got {got}",
    "split_batch.count": "split_batch: expected {want} {name} shards, one per device, got {got}",
    "split_batch.sizes": ("split_batch: {name} shards of sizes {sizes} for a batch of {batch_size} on "
                    "{devices} devices; they should cover the batch, sizes differing by at "
                    "most one"),
    "split_batch.device": "split_batch: {name} shard {k} is on {got}, expected {want}",
    "split_batch.shard": "{name} shard {k}",
    "split_batch.joined": "split_batch: the {name} shards put back together",
    "replicas.devices": ("parameter {name} lives on {got}, expected one copy on each of {want} "
                         "(net.initialize(..., ctx=devices))"),
    "replicas.equal": ("parameter {name}: the copy on {other} differs from the one on {first}; "
                       "one Trainer must update all copies"),
    "step_argument.number": "step_argument should return a number, got {got}",
    "try_gpu.default": "try_gpu() on a machine with {there} should be {want} (i is 0 by default), got {got}",
    "step_argument.shard": "step_argument({sizes}) is {got}, one shard's size: which gradient does the sum of all the shards' gradients equal?",
    "step_argument.devices": "step_argument({sizes}) is {got}, the number of devices: what is being averaged, devices or examples?",
    "step_argument.value": "step_argument({sizes}) is {got}: with it, the devices' update is not the one a single device makes on the whole minibatch",
    # ---------------------------------------------------------------- a6_gradient.py
    "softmax_ce_gradient.forgot_label": ("{name} is softmax(O) alone: subtract the one-hot label "
                              "(1 at each example's true class)"),
    "softmax_ce_gradient.sign": "{name} has the wrong sign: it is softmax(O) - one_hot(y), not the reverse",
    "softmax_ce_gradient.mean": ("{name} is divided by the batch size: the task asks for the gradient of the "
                      "summed loss, one row per example"),
    "numerical_gradients.one_sided": ("numerical_gradients looks one-sided, (f(x + eps) - f(x)) / eps: use "
                          "the central difference (f(x + eps) - f(x - eps)) / (2 eps), whose "
                          "error is far smaller"),
    "regularized_loss.grad_sum": ("{name} is the gradient of the summed loss: the loss is the mean over the "
                       "{n} examples, so divide by {n}"),
    "regularized_loss.weights": "dW (one row per input feature, one column per class)",
    "regularized_loss.bias": "db (one entry per class)",
    "softmax_ce_gradient.distribution": "{name} turns Y into one-hot labels: Y's rows are distributions (label smoothing gives every class some weight); use them as they are",
    "numerical_gradients.result": "numerical_gradients should return a list of {want} gradients, one per array of params, got {got}",
    "numerical_gradients.changed_x": "numerical_gradients changed params[{k}]: restore each entry after nudging it (or work on a copy)",
    "numerical_gradients.call": "numerical_gradients(f, params, eps={eps}): the gradient of params[{k}], of shape {shape}",
    "regularized_loss.result": "{name} should return a tuple (loss, dW, db), got {got}",
    "regularized_loss.number": "{name}: the loss should be a number, got {got}",
    "regularized_loss.the_loss": "{name} the loss",
    "regularized_loss.no_penalty": "{name}: the loss leaves out the penalty reg / 2 * sum(W ** 2)",
    "regularized_loss.penalty_twice": "{name}: the loss's penalty is twice reg / 2 * sum(W ** 2)",
    "regularized_loss.bias_penalty": "{name}: the loss penalizes b too; the penalty is on W only",
    "regularized_loss.sum": "{name}: the loss is summed over the {n} examples; the task's is their mean",
    "regularized_loss.value": "{name}: the loss is {got}, not the regularized mean cross-entropy (this task shows no expected value: work it out)",
    "regularized_loss.grad_no_penalty": "{name}: dW leaves out the gradient of the penalty reg / 2 * sum(W ** 2)",
    "regularized_loss.grad_penalty_twice": "{name}: dW's penalty part is twice the gradient of reg / 2 * sum(W ** 2)",
    "regularized_loss.grad_bias_penalty": "{name}: db holds a penalty term; the penalty is on W only",
    "regularized_loss.grad_own_loss": "{name}: dW[{i}, {j}] does not match finite differences of your own loss there: the gradient and the loss disagree, so the derivation of dW is off",
    "vectorised.disagree": "softmax_loss and softmax_loss_naive disagree on {what} for the same {n} examples",
    "vectorised.slow": "softmax_loss took {fast} ms and softmax_loss_naive {slow} ms on {n} examples: the vectorised version should be at least {ratio} times faster (no Python loop over the examples or the classes)",
    # ---------------------------------------------------------------- a7_calibration.py
    "ece.number": "expected_calibration_error should return a number, got {got}",
    "ece.unweighted": ("expected_calibration_error is {got}, expected {want}: weigh each bin's "
                       "gap by its share of the examples, don't average the bins equally"),
    "ece.value": ("expected_calibration_error with {num_bins} bins is {got}, expected {want} "
                  "(equal-width bins of [0, 1]; a confidence of exactly 1 in the last one)"),
    "temperature_nll.number": "nll(logits, y, T) should return a number, got {got}",
    "temperature_nll.sum": ("nll(logits, y, T={T}) is {got}, the sum over the examples; it should be the "
                "mean, {want}"),
    "temperature_nll.temperature": ("nll(logits, y, T={T}) is {got}, expected {want}: divide the logits by "
                        "T before the softmax"),
    "temperature_nll.value": "nll(logits, y, T={T}) {context} is {got}, expected {want}",
    "fit_temperature.number": "fit_temperature should return a positive number, got {got}",
    "fit_temperature.worse": ("fit_temperature returned T = {got}, whose NLL {nll_got} is above the "
                          "best, {nll_best} at T = {best}: search further, or more finely "
                          "(on a log scale)"),
    "calibration_report.result": "calibrate should return a tuple (T, ece_before, ece_after), got {got}",
    "calibration_report.number": "calibrate should return three numbers (T, ece_before, ece_after), got {got}",
    "calibration_report.fitted_on_test": ("T = {T} minimizes the NLL of the *test* set: fit the temperature "
                              "on the validation split, and use the test set only to report"),
    "calibration_report.on_validation": ("{name} is the ECE of the validation split: report the test "
                             "set's, measured once, after T is chosen"),
    "calibration_report.temperature": "T = {T} does not minimize the validation NLL: fit it with your fit_temperature on the validation logits",
    "calibration_report.ece": "{name} is {got}, not the test set's ECE with 15 bins of the top-label confidence of softmax(test_logits / T) (T = 1 before scaling)",
    # ---------------------------------------------------------------- a8_tuning.py
    "select_setting.type": "select_setting should return one of the dicts in results, got {got}",
    "select_setting.by_test": ("select_setting chose lr={lr}, wd={wd}, the best *test* accuracy: the "
                       "test set must choose nothing; choose by validation accuracy"),
    "stratified_folds.result": "stratified_folds should return a list of {want} index arrays, got {got}",
    "stratified_folds.integers": "each fold should be an array of integer positions, got dtype {dtype}",
    "stratified_folds.overlap": "folds {a} and {b} share {count} positions, e.g. {index}: the folds must be disjoint",
    "stratified_folds.cover": "the folds together should hold each of the {n} positions once; {missing} missing, {extra} repeated or out of range",
    "stratified_folds.class_count": "class {label} ({count} examples) is spread over the folds as {got}: each class's counts per fold should differ by at most one",
    "stratified_folds.not_random": "each class is cut into folds in the order its examples come: draw them at random (shuffle each class's positions with the seed)",
    "stratified_folds.not_repeatable": "the same seed gave two different sets of folds: draw with a generator seeded with `seed` (numpy.random.RandomState(seed))",
    "stratified_folds.ignores_seed": "seeds 7 and 8 gave the same folds: use the seed you are given",
    "select_setting.not_listed": "a setting that is not in results",
    "select_setting.wrong": "select_setting chose lr={lr}, wd={wd}, whose validation accuracy {val} is not the best in results",
    "tuning.results": "results should be a list with one dict per learning rate of candidates {candidates}, each with \"lr\" and \"val_acc\"; got {got}",
    "tuning.number": "results: {what} should be a number",
    "tuning.candidates": "results should hold one entry per learning rate of candidates, {want}; it has {got}",
    "tuning.test_in_results": "results holds a test accuracy ({entry}): the test set must not be measured while choosing",
    "tuning.chosen": "chosen should be the dict of results you keep, got {got}",
    "tuning.choice": "chosen has lr={lr}: not the candidate that validation recommends in results",
    "tuning.val_passes": "val_iter was read {got} times for {want} candidates: measure each candidate on the validation split",
    "tuning.test_passes": "test_iter was read {got} times: read the test set once, with the model finally chosen, after every choice is made",
    # ---------------------------------------------------------------- the grader (grading/)
    "grading.passed": "passed",
    "grading.no_run": "this test did not run to its end{error}",
    "grading.error": ": {ename}: {evalue}",
    "grading.not_reached": ("this test did not run: the notebook stopped earlier ({why})"),
    "grading.timeout": "cell {cell} ran longer than {seconds:g} s",
    "grading.kernel_died": "the kernel stopped during cell {cell}",
    "grading.changed_call": ("{check} ran with {param}={got}, but the test asks for {want}: "
                             "don't change the names the tests use"),
    "grading.unexpected_call": ("the test ran {got} checks where it has {want}: the test cells "
                                "must run as written"),
    "grading.bad_record": "the answer could not be read ({why})",
    "grading.delegated": ("{task} uses {what} (cell {cell}, line {line}): write it yourself "
                          "(the kit's and the libraries' own versions earn no points here)"),
    "grading.trapped": ("check_{check} ran your code, which called {what}: write it yourself "
                        "(the kit's and the libraries' own versions earn no points here)"),
    "grading.budget": ("the notebook ran out of its time ({seconds:g} s in all) at cell {cell}: "
                       "the cells after it did not run"),
    "grading.short_record": "{what}: {got} values recorded where the test asks for {want}",
}

# ---------------------------------------------------------------- the language
# KIT_LANG chooses the language of the messages: en (the default) or zh (简体中文; zh-CN,
# zh_CN.UTF-8 and the like also name it). Only the words change, never a verdict.
import os  # noqa: E402

from grading.checks.messages_zh import CHINESE  # noqa: E402

LANGUAGES = {"en": ENGLISH, "zh": CHINESE}
LANGUAGE_ENV = "KIT_LANG"


def language_from(value):
    """The language a KIT_LANG value names ("en" when unset); ValueError if none of ours."""
    tag = (value or "en").split(".")[0].replace("_", "-").lower()
    lang = tag.split("-")[0]
    if lang not in LANGUAGES:
        raise ValueError(f"{LANGUAGE_ENV}={value!r}: the kit's messages are in "
                         f"{', '.join(sorted(LANGUAGES))} (zh: 简体中文); unset "
                         f"{LANGUAGE_ENV} for English")
    return lang


LANGUAGE = language_from(os.environ.get(LANGUAGE_ENV))


def say(key, **fields):
    """The message `key` in the current language, its {fields} filled in."""
    template = LANGUAGES.get(LANGUAGE, ENGLISH).get(key, ENGLISH[key])
    return template.format(**fields)
