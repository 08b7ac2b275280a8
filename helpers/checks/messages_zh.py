"""Every sentence a student reads from the checks and the grader, in Chinese (简体中文).

The same keys and the same {fields} as messages.ENGLISH (tests/test_chinese.py keeps it
so); chosen with KIT_LANG=zh (helpers.checks.messages). Terms follow d2l-zh
(《动手学深度学习》) and the course's glossary, notebooks/zh/glossary.md; names in code
(X, y_hat, net, updater, ...) stay as they are in the code.
"""

CHINESE = {
    # ---------------------------------------------------------------- generic
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
    # ---------------------------------------------------------------- lesson 1
    "logits_around": "（logit 在 {offset} 附近时）",
    "keep_dtype": "保持 X 的数据类型",
    "keeps_input": ("{name} 原地修改了输入 X（X -= ... 会改写调用者的数组）；"
                    "请计算一个新数组，例如 X - m"),
    # ---------------------------------------------------------------- lesson 2
    "labels.type": "get_fashion_mnist_labels 应当返回一个列表，实际得到的是 {got}",
    "labels.count": ("get_fashion_mnist_labels 对 {want} 个标签应当返回 {want} 个名称，"
                     "实际返回了 {got} 个"),
    "labels.name": "标签 {label} 应当是 {want}，实际是 {got}",
    "to_tensor.channels": ("to_tensor(images)：期望的形状是 {expected}，实际是 {got}："
                           "通道轴必须排在最前面，紧跟在批量轴之后"),
    "to_tensor.range": ("to_tensor(images)：值必须在 [0, 1] 之间；现在的范围是 {low} 到 "
                        "{high}（请除以 255）"),
    "batch.pixels": "X：像素值必须在 [0, 1] 之间，现在的范围是 {low} 到 {high}（ToTensor 会缩放它们）",
    "batch.labels": "y：标签必须是 0..9 之间的类别，实际的取值范围是 {low} 到 {high}",
    "iterators.count": ("{name} 应当有 {want} 个批量，每个批量最多 {batch_size} 个样本"
                        "（共 {n} 个样本，最后一个批量较小），实际有 {got} 个"),
    "iterators.test_shuffled": "test_iter 不应打乱顺序：它最前面的标签应当是 {want}，实际是 {got}",
    "iterators.train_in_order": ("train_iter 应当打乱顺序：它的第一个批量按原顺序包含了前 {n} "
                                 "个训练样本（请设置 shuffle=True）"),
    # ---------------------------------------------------------------- lesson 3
    "cross_entropy.hint": "每个样本一个损失",
    "cross_entropy.sign": ("cross_entropy(y_hat, y) 的符号反了：它是真实类别概率的 -log，"
                           "是一个正数"),
    "accuracy.shape": "accuracy(y_hat, y) 应当是一个数，实际得到的是形状为 {shape} 的数组",
    "accuracy.number": "accuracy(y_hat, y) 应当是一个数，实际得到的是 {got}",
    "accuracy.fraction": ("accuracy(y_hat, y) 应当统计预测正确的个数：期望 {want}，实际 {got}"
                          "（这是一个比例：不要除以 len(y)，调用者会去除）"),
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
    # ---------------------------------------------------------------- lesson 4
    "net.uninitialized": "net 还没有初始化：使用之前请先调用 net.initialize(...)",
    "net.call": "对形状为 (2, 1, 28, 28) 的 X 调用 net(X)",
    "net.layers": "net 应当恰好有一个带权重的层（一个 Dense 层），实际找到了 {found}",
    "net.weight": "Dense 层的权重",
    "net.sigma": ("权重应当从 sigma={sigma} 的正态分布中抽取：它们的标准差却是 {std}"
                  "（init.Normal(sigma={sigma})；训练会改变权重，所以请先重新运行构建 net "
                  "的单元格，再运行这一个）"),
    "loss.logits": "（它接受的是 logit，不是概率）",
    "trainer.type": "trainer 应当是一个 gluon.Trainer，实际得到的是 {got}",
    "trainer.optimizer": "trainer 应当使用 'sgd' 优化算法，实际是 {got!r}",
    "trainer.lr": "trainer 的学习率应当是 {want}，实际是 {got}",
    "trainer.params": "trainer 应当恰好更新 net 的参数：请传入 net.collect_params()",
    # ---------------------------------------------------------------- lesson 5
    "try_gpu": "在一台有 {there} 的机器上，try_gpu({i}) 应当是 {want}，实际是 {got}",
    "try_gpu.gpus": "{n} 个 GPU",
    "try_all_gpus": "在一台有 {n} 个 GPU 的机器上，try_all_gpus() 应当是列表 {want}，实际是 {got}",
    "split.result": "split_batch 应当返回 (X_shards, y_shards)，实际得到的是 {got}",
    "split.count": "split_batch：期望 {want} 个 {name} 分片，每个设备一个，实际有 {got} 个",
    "split.sizes": ("split_batch：在 {devices} 个设备上切分大小为 {batch_size} 的批量，得到的 "
                    "{name} 分片大小是 {sizes}；它们应当覆盖整个批量，大小相差不超过 1"),
    "split.device": "split_batch：{name} 的第 {k} 个分片在 {got} 上，期望在 {want} 上",
    "split.shard": "{name} 的第 {k} 个分片",
    "split.joined": "split_batch：{name} 的各个分片拼回一起之后",
    "replicas.devices": ("参数 {name} 位于 {got}，期望在 {want} 上各有一份副本"
                         "（net.initialize(..., ctx=devices)）"),
    "replicas.equal": ("参数 {name}：{other} 上的副本与 {first} 上的不同；"
                       "应当由同一个 Trainer 更新所有副本"),
    "num_gpus": "在评分用的内核里 npx.num_gpus() 返回了 {got}，而那里并没有 GPU",
    # ---------------------------------------------------------------- grading (feedback)
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

    # ---------------------------------------------------------------- assignment 4
    "dense.call": "dense_loss(logits, one_hot(y, q)) 的结果",
    # ---------------------------------------------------------------- assignment 5
    "step.number": "step_argument 应当返回一个数，实际得到的是 {got}",
    "step.shard": ("step_argument({sizes}) 是 {got}，只是一份的大小；更新之前所有分片的梯度会被加起来，"
                   "所以要按整个批量来归一化，应为 {want}"),
    "step.value": "step_argument({sizes}) 是 {got}，期望是 {want}",
    # ---------------------------------------------------------------- assignment 6
    "gradient.forgot_label": "{name} 只是 softmax(O)：还要减去独热编码的标签（每个样本的真实类别处为 1）",
    "gradient.mean": "{name} 除以了批量大小：任务要求的是求和损失的梯度，每个样本一行",
    "gradient.sign": "{name} 的符号反了：梯度是 softmax(O) - one_hot(y)，而不是反过来",
    "numgrad.call": "对形状为 {shape} 的 x 调用 numerical_gradient(f, x, eps={eps})",
    "numgrad.changed_x": "numerical_gradient 改变了它的参数 x：每次微调一个元素之后要把它恢复原值（或者在副本上计算）",
    "numgrad.one_sided": ("numerical_gradient 看起来是单侧差分 (f(x + eps) - f(x)) / eps：请用中心差分 "
                          "(f(x + eps) - f(x - eps)) / (2 eps)，它的误差小得多"),
    "regression.bias": "db（每个类别一个元素）",
    "regression.result": "gradients 应当返回一个元组 (dW, db)，实际得到的是 {got}",
    "regression.sum": "{name} 是求和损失的梯度：损失是 {n} 个样本上的平均值，所以要除以 {n}",
    "regression.weights": "dW（每个输入特征一行，每个类别一列）",
    # ---------------------------------------------------------------- assignment 7
    "ece.number": "expected_calibration_error 应当返回一个数，实际得到的是 {got}",
    "ece.unweighted": ("expected_calibration_error 是 {got}，期望是 {want}：每个区间的差距要按该区间"
                       "样本所占的比例加权，不要对各个区间简单求平均"),
    "ece.value": ("用 {num_bins} 个区间时 expected_calibration_error 是 {got}，期望是 {want}"
                  "（[0, 1] 上的等宽区间；恰好为 1 的置信度归入最后一个区间）"),
    "nll.number": "nll(logits, y, T) 应当返回一个数，实际得到的是 {got}",
    "nll.sum": "nll(logits, y, T={T}) 是 {got}，这是对样本的求和；它应当是平均值 {want}",
    "nll.temperature": "nll(logits, y, T={T}) 是 {got}，期望是 {want}：要在 softmax 之前把 logit 除以 T",
    "nll.value": "nll(logits, y, T={T}){context} 是 {got}，期望是 {want}",
    "temperature.number": "fit_temperature 应当返回一个正数，实际得到的是 {got}",
    "temperature.worse": ("fit_temperature 返回的 T = {got}，它的 NLL 为 {nll_got}，高于最优值："
                          "T = {best} 时为 {nll_best}。请搜索得更广，或者更细（按对数刻度）"),
    "report.ece": ("{name} 是 {got}，期望是 {want}：应当是测试集上 softmax(test_logits / T) "
                   "的最高类别置信度的 ECE，用 15 个区间（缩放前 T = 1）"),
    "report.fitted_on_test": ("T = {T} 使*测试*集的 NLL 最小：温度要在验证集上拟合，"
                              "测试集只用来报告结果"),
    "report.number": "calibrate 应当返回三个数 (T, ece_before, ece_after)，实际得到的是 {got}",
    "report.on_validation": "{name} 是验证集的 ECE：要报告的是测试集的 ECE，在选定 T 之后只测量一次",
    "report.result": "calibrate 应当返回一个元组 (T, ece_before, ece_after)，实际得到的是 {got}",
    "report.temperature": ("T = {T} 没有使验证集的 NLL 最小（最优的 T 约为 {best}）：请在验证集的 "
                           "logit 上用你的 fit_temperature 拟合它"),
    # ---------------------------------------------------------------- assignment 8
    "select.by_test": ("select_setting 选了 lr={lr}, wd={wd}，这是*测试*准确率最高的设置："
                       "测试集不能参与任何选择；要按验证准确率来选"),
    "select.type": "select_setting 应当返回 results 中的一个字典，实际得到的是 {got}",
    "select.wrong": ("select_setting 选了 lr={lr}, wd={wd}；验证准确率最高的是 "
                     "lr={want_lr}, wd={want_wd}"),
    "stratify.class_count": ("类别 {label} 有 {count} 个样本：验证集应当分到其中的 "
                             "round({fraction} * {count}) = {want} 个，实际是 {got} 个"),
    "stratify.cover": ("train_idx 和 val_idx 合起来应当恰好包含 {n} 个索引中的每一个一次；"
                       "缺了 {missing} 个，重复或越界的有 {extra} 个"),
    "stratify.ignores_seed": "种子 7 和 8 给出了同样的划分：请使用传给你的种子",
    "stratify.integers": "{name} 应当是由整数索引组成的数组，实际的数据类型是 {dtype}",
    "stratify.not_random": ("val_idx 中是每个类别最前面的那些样本：要随机抽取"
                            "（用种子打乱每个类别的索引）"),
    "stratify.not_repeatable": ("同一个种子给出了两个不同的划分：请用以 `seed` 为种子的随机数生成器"
                                "（numpy.random.RandomState(seed)）抽取"),
    "stratify.overlap": "train_idx 和 val_idx 有 {count} 个共同的索引，例如 {index}：两者不能有交集",
    "stratify.result": "stratified_split 应当返回 (train_idx, val_idx)，实际得到的是 {got}",
}
