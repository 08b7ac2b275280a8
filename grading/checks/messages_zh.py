"""Every sentence a student reads from the checks and the grader, in Chinese (简体中文).

The same keys and the same {fields} as messages.ENGLISH (tests/test_chinese.py keeps it
so); chosen with KIT_LANG=zh (grading.checks.messages). Terms follow d2l-zh
(《动手学深度学习》) and the course's glossary, notebooks/zh/glossary.md; names in code
(X, y_hat, net, updater, ...) stay as they are in the code.
"""

CHINESE = {
    # ---------------------------------------------------------------- common.py, and shared
    "none": "{name} 是 None：是不是忘了写 return 语句？",
    "hint": "；{hint}",
    "not_array": "{name} 应当是一个数组，实际得到的是 {got}",
    "too_large": "{name} 太大，无法检查（{size} 个值）",
    "shape": "{name}：期望的形状是 {expected}，实际是 {got}{why}",
    "shape.transpose": "（正好是转置：是不是把两个轴弄反了？）",
    "shape.scalar": "（只有一个数：是不是对整个批量求了和或取了平均？）",
    "shape.missing_axis": "（少了一个轴：求和时是不是没有写 keepdims=True？）",
    "shape.extra_axis": "（多了一个轴）",
    "dtype": "{name}：期望的数据类型是 {expected}，实际是 {got}",
    "finite": "{name}{context}出现了 {kind}{at}",
    "finite.cell": "（第 {row} 行，第 {column} 列）",
    "finite.entry": "（第 {entry} 个元素）",
    "probabilities.ndim": "{name}：期望一个二维数组（批量, 类别），实际形状是 {shape}",
    "probabilities.negative": "概率不能为负；第 {row} 行第 {column} 列的值是 {value}",
    "probabilities.sum": "每一行的和都应当是 1；第 {row} 行的和是 {total}",
    "close.scalar": "{name} 是 {got}，期望是 {expected}",
    "close.row": "{name}：第 {index} 行是 {got}，期望是 {expected}",
    "close.entry": "{name}：第 {index} 个元素是 {got}，期望是 {expected}",
    "logits_around": "（logit 在 {offset} 附近时）",
    "keep_dtype": "保持 X 的数据类型",
    "one_loss_per_example": "每个样本一个损失",
    "close.scalar.hidden": "{name} 是 {got}，这个值不对（这个任务不给出期望值：请自己推导）",
    "close.row.hidden": "{name}：第 {index} 行是 {got}，这个值不对（这个任务不给出期望值：请自己推导）",
    "close.entry.hidden": "{name}：第 {index} 个元素是 {got}，这个值不对（这个任务不给出期望值：请自己推导）",
    "logits_mixed": "（同一个批量中，有些行的 logit 在 {offset} 附近，另一些在 {minus} 附近时）",
    # ---------------------------------------------------------------- a1_softmax.py
    "keeps_input": ("{name} 原地修改了输入 X（X -= ... 会改写调用者的数组）；"
                    "请计算一个新数组，例如 X - m"),
    "softmax.axis": "{name} 沿最后一个轴计算，而不是沿轴 {axis}：请使用传给你的轴",
    # ---------------------------------------------------------------- a2_data.py
    "labels.type": "get_fashion_mnist_labels 应当返回一个列表，实际得到的是 {got}",
    "labels.count": ("get_fashion_mnist_labels 对 {want} 个标签应当返回 {want} 个名称，"
                     "实际返回了 {got} 个"),
    "labels.name": "标签 {label} 应当是 {want}，实际是 {got}",
    "batch.pixels": "X：像素值必须在 [0, 1] 之间，现在的范围是 {low} 到 {high}（ToTensor 会缩放它们）",
    "batch.labels": "y：标签必须是 0..9 之间的类别，实际的取值范围是 {low} 到 {high}",
    "iterators.count": ("{name} 应当有 {want} 个批量，每个批量最多 {batch_size} 个样本"
                        "（共 {n} 个样本，最后一个批量较小），实际有 {got} 个"),
    "iterators.test_shuffled": "test_iter 不应打乱顺序：它最前面的标签应当是 {want}，实际是 {got}",
    "iterators.train_in_order": ("train_iter 应当打乱顺序：它的第一个批量按原顺序包含了前 {n} "
                                 "个训练样本（请设置 shuffle=True）"),
    "to_tensor.call": "对形状为 {shape} 的图像调用 to_tensor(images)",
    "to_tensor.channels": "{name}：期望的形状是 {expected}，实际是 {got}：通道轴必须放在最前面，紧跟在批量轴之后",
    "to_tensor.range": "{name}：取值必须在 [0, 1] 之内；实际范围是 {low} 到 {high}（请除以 255）",
    "to_tensor.reshape": "{name}：形状对了，但数值放错了位置：reshape 按存储顺序（通道在最后）排列数值，并不移动轴；移动一个轴要用 transpose",
    "to_tensor.axes": "{name}：高和宽的位置对调了：保持它们的顺序，只移动通道轴",
    # ---------------------------------------------------------------- a3_scratch.py
    "cross_entropy.sign": ("cross_entropy(y_hat, y) 的符号反了：它是真实类别概率的 -log，"
                           "是一个正数"),
    "accuracy.shape": "accuracy(y_hat, y) 应当是一个数，实际得到的是形状为 {shape} 的数组",
    "accuracy.number": "accuracy(y_hat, y) 应当是一个数，实际得到的是 {got}",
    "accuracy.count": ("当 y_hat 是{form}时，accuracy(y_hat, y) 应当是 {want}（{n} 个中对了 "
                       "{right} 个），实际是 {got}"),
    "accuracy.scores": "形状为 ({n}, {q}) 的分数",
    "accuracy.classes": "形状为 ({n},) 的预测类别",
    "sgd.returned": ("sgd 必须原地更新参数（param[:] = ...）；它却返回了一个值，W 没有变化"),
    "sgd.unchanged": ("sgd 没有改变参数：请用 param[:] = param - lr * param.grad / batch_size "
                      "原地更新"),
    "sgd.no_division": ("sgd：{name} 移动了 lr * grad；请把梯度除以 batch_size"
                        "（损失是对整个批量求和的）"),
    "sgd.after": "执行 sgd(params, lr={lr}, batch_size={batch_size}) 之后的 {name}",
    "train_epoch.result": "train_epoch 应当返回一个元组（平均损失, 准确率），实际得到的是 {got}",
    "train_epoch.unchanged": ("train_epoch 没有改变参数：请在 l.backward() 之后调用 "
                              "updater(X.shape[0])"),
    "train_epoch.fraction": ("train_epoch：准确率应当是 [0, 1] 之间的比例，实际是 {got}"
                             "（用预测正确的个数除以样本数）"),
    "train_epoch.loss": ("train_epoch：这一轮的平均损失应当是 {want}，实际是 {got}"
                         "（先对每个样本的损失求和，再除以样本数 {n}）"),
    "train_epoch.accuracy": "train_epoch：这一轮的准确率应当是 {want}，实际是 {got}",
    "train_epoch.weights": ("训练一轮之后的权重（是不是每个批量更新一次，并且用的是该批量自己的"
                            "大小 X.shape[0]？）"),
    "accuracy_bar.none": "test_acc 是 None：请把测试准确率赋给 test_acc",
    "accuracy_bar.number": "test_acc 应当是一个数，实际得到的是 {got}",
    "accuracy_bar.fraction": "test_acc 应当是 [0, 1] 之间的比例，实际是 {got}",
    "accuracy_bar.below": ("训练 {num_epochs} 轮之后测试准确率为 {acc:.3f}，没有超过 {bar} 这条线："
                           "请检查学习率和 train_epoch"),
    "accuracy_bar.mismatch": ("test_acc 是 {got:.3f}，但训练好的模型在测试集上的准确率是 "
                              "{measured:.3f}：请在训练之后把 evaluate_accuracy(net, test_iter) "
                              "赋给 test_acc"),
    "accuracy_bar.model": "要评估的模型应当是 {what}，实际得到的是 {got}",
    "accuracy.fraction": "accuracy(y_hat, y) 应当统计预测正确的个数：期望 {want}，实际 {got}（这是一个比例：不要自己除以 len(y)，调用者会去做这个除法）",
    # ---------------------------------------------------------------- a4_concise.py
    "concise_net.uninitialized": "net 还没有初始化：使用之前请先调用 net.initialize(...)",
    "concise_net.call": "对形状为 (2, 1, 28, 28) 的 X 调用 net(X)",
    "concise_net.layers": "net 应当恰好有一个带权重的层（一个 Dense 层），实际找到了 {found}",
    "concise_net.weight": "Dense 层的权重",
    "concise_net.sigma": ("权重应当从 sigma={sigma} 的正态分布中抽取：它们的标准差却是 {std}"
                  "（init.Normal(sigma={sigma})；训练会改变权重，所以请先重新运行构建 net "
                  "的单元格，再运行这一个）"),
    "loss.logits": "（它接受的是 logit，不是概率）",
    "trainer.type": "trainer 应当是一个 gluon.Trainer，实际得到的是 {got}",
    "trainer.optimizer": "trainer 应当使用 'sgd' 优化算法，实际是 {got!r}",
    "trainer.lr": "trainer 的学习率应当是 {want}，实际是 {got}",
    "trainer.params": "trainer 应当恰好更新 net 的参数：请传入 net.collect_params()",
    "dense_labels.call": "dense_loss(logits, one_hot(y, q)) 的结果",
    # ---------------------------------------------------------------- a5_devices.py
    "try_gpu": "在一台有 {there} 的机器上，try_gpu({i}) 应当是 {want}，实际是 {got}",
    "try_gpu.gpus": "{n} 个 GPU",
    "try_gpu.all": "在一台有 {n} 个 GPU 的机器上，try_all_gpus() 应当是列表 {want}，实际是 {got}",
    "split_batch.result": "split_batch 应当返回 (X_shards, y_shards)，实际得到的是 {got}",
    "split_batch.count": "split_batch：期望 {want} 个 {name} 分片，每个设备一个，实际有 {got} 个",
    "split_batch.sizes": ("split_batch：在 {devices} 个设备上切分大小为 {batch_size} 的批量，得到的 "
                    "{name} 分片大小是 {sizes}；它们应当覆盖整个批量，大小相差不超过 1"),
    "split_batch.device": "split_batch：{name} 的第 {k} 个分片在 {got} 上，期望在 {want} 上",
    "split_batch.shard": "{name} 的第 {k} 个分片",
    "split_batch.joined": "split_batch：{name} 的各个分片拼回一起之后",
    "replicas.devices": ("参数 {name} 位于 {got}，期望在 {want} 上各有一份副本"
                         "（net.initialize(..., ctx=devices)）"),
    "replicas.equal": ("参数 {name}：{other} 上的副本与 {first} 上的不同；"
                       "应当由同一个 Trainer 更新所有副本"),
    "step_argument.number": "step_argument 应当返回一个数，实际得到的是 {got}",
    "try_gpu.default": "在一台有 {there} 的机器上，try_gpu() 应当是 {want}（i 默认为 0），实际是 {got}",
    "step_argument.shard": "step_argument({sizes}) 是 {got}，只是一个分片的大小：所有分片的梯度之和等于哪一个梯度？",
    "step_argument.devices": "step_argument({sizes}) 是 {got}，也就是设备的个数：要平均的是设备还是样本？",
    "step_argument.value": "step_argument({sizes}) 是 {got}：用它时，各设备的更新并不等于单个设备在整个小批量上的更新",
    # ---------------------------------------------------------------- a6_gradient.py
    "softmax_ce_gradient.forgot_label": "{name} 只是 softmax(O)：还要减去独热编码的标签（每个样本的真实类别处为 1）",
    "softmax_ce_gradient.mean": "{name} 除以了批量大小：任务要求的是求和损失的梯度，每个样本一行",
    "softmax_ce_gradient.sign": "{name} 的符号反了：梯度是 softmax(O) - one_hot(y)，而不是反过来",
    "numerical_gradients.one_sided": ("numerical_gradients 看起来是单侧差分 (f(x + eps) - f(x)) / eps：请用中心差分 "
                          "(f(x + eps) - f(x - eps)) / (2 eps)，它的误差小得多"),
    "regularized_loss.bias": "db（每个类别一个元素）",
    "regularized_loss.grad_sum": "{name} 是求和损失的梯度：损失是 {n} 个样本上的平均值，所以要除以 {n}",
    "regularized_loss.weights": "dW（每个输入特征一行，每个类别一列）",
    "softmax_ce_gradient.distribution": "{name} 把 Y 当成了独热编码的标签：Y 的每一行是一个分布（标签平滑会给每个类别一些权重）；请直接使用它们",
    "numerical_gradients.result": "numerical_gradients 应当返回一个含 {want} 个梯度的列表，params 中每个数组一个，实际得到的是 {got}",
    "numerical_gradients.changed_x": "numerical_gradients 改变了 params[{k}]：每次微调一个元素之后要把它恢复原值（或者在副本上计算）",
    "numerical_gradients.call": "numerical_gradients(f, params, eps={eps}) 中 params[{k}]（形状为 {shape}）的梯度",
    "regularized_loss.result": "{name} 应当返回一个元组 (loss, dW, db)，实际得到的是 {got}",
    "regularized_loss.number": "{name}：损失应当是一个数，实际得到的是 {got}",
    "regularized_loss.the_loss": "{name} 的损失",
    "regularized_loss.no_penalty": "{name}：损失中漏掉了惩罚项 reg / 2 * sum(W ** 2)",
    "regularized_loss.penalty_twice": "{name}：损失中的惩罚项是 reg / 2 * sum(W ** 2) 的两倍",
    "regularized_loss.bias_penalty": "{name}：损失也惩罚了 b；惩罚项只针对 W",
    "regularized_loss.sum": "{name}：损失是 {n} 个样本上的总和；任务要求的是它们的平均值",
    "regularized_loss.value": "{name}：损失是 {got}，不是带正则化的平均交叉熵（这个任务不给出期望值：请自己推导）",
    "regularized_loss.grad_no_penalty": "{name}：dW 中漏掉了惩罚项 reg / 2 * sum(W ** 2) 的梯度",
    "regularized_loss.grad_penalty_twice": "{name}：dW 中惩罚项的部分是 reg / 2 * sum(W ** 2) 的梯度的两倍",
    "regularized_loss.grad_bias_penalty": "{name}：db 中含有惩罚项；惩罚项只针对 W",
    "regularized_loss.grad_own_loss": "{name}：dW[{i}, {j}] 与你自己的损失在该处的有限差分不一致：梯度与损失对不上，所以 dW 的推导有误",
    "vectorised.disagree": "对同样的 {n} 个样本，softmax_loss 和 softmax_loss_naive 给出的 {what} 不一致",
    "vectorised.slow": "在 {n} 个样本上，softmax_loss 用了 {fast} 毫秒，softmax_loss_naive 用了 {slow} 毫秒：向量化的版本应当至少快 {ratio} 倍（不要用 Python 循环遍历样本或类别）",
    # ---------------------------------------------------------------- a7_calibration.py
    "ece.number": "expected_calibration_error 应当返回一个数，实际得到的是 {got}",
    "ece.unweighted": ("expected_calibration_error 是 {got}，期望是 {want}：每个区间的差距要按该区间"
                       "样本所占的比例加权，不要对各个区间简单求平均"),
    "ece.value": ("用 {num_bins} 个区间时 expected_calibration_error 是 {got}，期望是 {want}"
                  "（[0, 1] 上的等宽区间；恰好为 1 的置信度归入最后一个区间）"),
    "temperature_nll.number": "nll(logits, y, T) 应当返回一个数，实际得到的是 {got}",
    "temperature_nll.sum": "nll(logits, y, T={T}) 是 {got}，这是对样本的求和；它应当是平均值 {want}",
    "temperature_nll.temperature": "nll(logits, y, T={T}) 是 {got}，期望是 {want}：要在 softmax 之前把 logit 除以 T",
    "temperature_nll.value": "nll(logits, y, T={T}){context} 是 {got}，期望是 {want}",
    "fit_temperature.number": "fit_temperature 应当返回一个正数，实际得到的是 {got}",
    "fit_temperature.worse": ("fit_temperature 返回的 T = {got}，它的 NLL 为 {nll_got}，高于最优值："
                          "T = {best} 时为 {nll_best}。请搜索得更广，或者更细（按对数刻度）"),
    "calibration_report.fitted_on_test": ("T = {T} 使*测试*集的 NLL 最小：温度要在验证集上拟合，"
                              "测试集只用来报告结果"),
    "calibration_report.number": "calibrate 应当返回三个数 (T, ece_before, ece_after)，实际得到的是 {got}",
    "calibration_report.on_validation": "{name} 是验证集的 ECE：要报告的是测试集的 ECE，在选定 T 之后只测量一次",
    "calibration_report.result": "calibrate 应当返回一个元组 (T, ece_before, ece_after)，实际得到的是 {got}",
    "calibration_report.temperature": "T = {T} 没有使验证集的 NLL 最小：请在验证集的 logit 上用你的 fit_temperature 拟合它",
    "calibration_report.ece": "{name} 是 {got}，不是测试集上 softmax(test_logits / T) 的最高类别置信度的 ECE（用 15 个区间；缩放前 T = 1）",
    # ---------------------------------------------------------------- a8_tuning.py
    "select_setting.by_test": ("select_setting 选了 lr={lr}, wd={wd}，这是*测试*准确率最高的设置："
                       "测试集不能参与任何选择；要按验证准确率来选"),
    "select_setting.type": "select_setting 应当返回 results 中的一个字典，实际得到的是 {got}",
    "stratified_folds.result": "stratified_folds 应当返回一个含 {want} 个索引数组的列表，实际得到的是 {got}",
    "stratified_folds.integers": "每一折都应当是由整数位置组成的数组，实际的数据类型是 {dtype}",
    "stratified_folds.overlap": "第 {a} 折和第 {b} 折有 {count} 个共同的位置，例如 {index}：各折之间不能有交集",
    "stratified_folds.cover": "各折合起来应当恰好包含 {n} 个位置中的每一个一次；缺了 {missing} 个，重复或越界的有 {extra} 个",
    "stratified_folds.class_count": "类别 {label}（{count} 个样本）在各折中的个数是 {got}：每个类别在各折中的个数相差不能超过 1",
    "stratified_folds.not_random": "每个类别是按样本原来的顺序切分到各折的：要随机抽取（用种子打乱每个类别的位置）",
    "stratified_folds.not_repeatable": "同一个种子给出了两组不同的折：请用以 `seed` 为种子的随机数生成器（numpy.random.RandomState(seed)）抽取",
    "stratified_folds.ignores_seed": "种子 7 和 8 给出了同样的折：请使用传给你的种子",
    "select_setting.not_listed": "一个不在 results 中的设置",
    "select_setting.wrong": "select_setting 选了 lr={lr}, wd={wd}，它的验证准确率 {val} 不是 results 中最高的",
    "tuning.results": "results 应当是一个列表，candidates {candidates} 中每个学习率一个字典，各含 \"lr\" 和 \"val_acc\"；实际得到的是 {got}",
    "tuning.number": "results：{what} 应当是一个数",
    "tuning.candidates": "results 应当为 candidates 中的每个学习率各有一项，即 {want}；实际是 {got}",
    "tuning.test_in_results": "results 中有测试准确率（{entry}）：选择的过程中不能测量测试集",
    "tuning.chosen": "chosen 应当是你从 results 中留下的那个字典，实际得到的是 {got}",
    "tuning.choice": "chosen 的 lr={lr}：不是 results 中验证集所推荐的那个候选",
    "tuning.val_passes": "{want} 个候选只读取了 val_iter {got} 次：每个候选都要在验证集上测量",
    "tuning.test_passes": "test_iter 被读取了 {got} 次：测试集只读取一次，用最终选定的模型，在所有选择都做完之后",
    # ---------------------------------------------------------------- the grader (grading/)
    "grading.passed": "通过",
    "grading.no_run": "这个测试没有运行到结尾{error}",
    "grading.error": "：{ename}: {evalue}",
    "grading.not_reached": "这个测试没有运行：笔记本在此之前就停止了（{why}）",
    "grading.timeout": "单元格 {cell} 运行时间超过了 {seconds:g} 秒",
    "grading.kernel_died": "内核在运行单元格 {cell} 时停止了",
    "grading.changed_call": ("{check} 运行时用的是 {param}={got}，但测试要求的是 {want}："
                             "不要改动测试所用的名称"),
    "grading.unexpected_call": "测试运行了 {got} 个检查，而它本应有 {want} 个：测试单元格必须原样运行",
    "grading.bad_record": "无法读取这个答案（{why}）",
    "grading.delegated": ("{task} 用到了 {what}（单元格 {cell}，第 {line} 行）：请自己实现"
                          "（本套件和各个库自带的版本在这里不得分）"),
    "grading.trapped": ("check_{check} 运行你的代码时，它调用了 {what}：请自己实现"
                        "（本套件和各个库自带的版本在这里不得分）"),
    "grading.budget": "笔记本在单元格 {cell} 处用完了它的时间（总共 {seconds:g} 秒），之后的单元格没有运行",
    "grading.short_record": "{what}：记录了 {got} 个值，而测试要求 {want} 个",
}
