"""The book's whole programs run as printed in the kit's environment, offline
(helpers/book_code.py): d2l 0.17's ``load_data_fashion_mnist`` with ``train_ch3`` (the
original lesson's code) and ``d2l.FashionMNIST`` with ``d2l.Trainer`` (d2l 1.0) run
unmodified and reach 0.80, and nothing is downloaded.

Each runs in a fresh Python with an empty ``HOME`` and ``MXNET_HOME``, every network attempt
sent to a local server that records it (tests/book_code_env.py, `recorder` in
tests/conftest.py), as a student's first notebook would.
"""
from tests.book_code_env import NOTICE, last_json, offline_env, run_python


# --------------------------------------------------------------------------- whole programs

ORIGINAL_LESSON = '''
"""The original lesson's code (d2l 0.17, as 《动手学深度学习》 2.0 prints it), its data,
scratch and concise sections, with its settings; its own slips set right (indentation,
the accuracy check after training rather than inside the epoch loop, mx imported)."""
import json
import mxnet as mx
from d2l import mxnet as d2l
from mxnet import autograd, gluon, init, np, npx
from mxnet.gluon import nn
npx.set_np()
mx.random.seed(0)
results = {}

# The data, as printed
mnist_train = gluon.data.vision.FashionMNIST(train=True)
mnist_test = gluon.data.vision.FashionMNIST(train=False)
X, y = mnist_train[0]
results["data"] = [len(mnist_train), len(mnist_test), list(X.shape), str(X.dtype),
                   str(y.dtype)]
trans = gluon.data.vision.transforms.ToTensor()
train_iter = gluon.data.DataLoader(mnist_train.transform_first(trans), 256, shuffle=True,
                                   num_workers=d2l.get_dataloader_workers())
X, y = next(iter(train_iter))
results["batch"] = [list(X.shape), str(X.dtype), list(y.shape)]

# From scratch
batch_size = 256
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
num_inputs, num_outputs = 784, 10
W = np.random.normal(0, 0.02, (num_inputs, num_outputs))
b = np.zeros(num_outputs)
W.attach_grad()
b.attach_grad()

def softmax(X):
    X_exp = np.exp(X)
    partition = X_exp.sum(1, keepdims=True)
    return X_exp / partition

def net(X):
    return softmax(np.dot(X.reshape((-1, W.shape[0])), W) + b)

def cross_entropy(y_hat, y):
    return -np.log(y_hat[range(len(y_hat)), y])

lr = 0.1

def updater(batch_size):
    return d2l.sgd([W, b], lr, batch_size)

num_epochs = 10
d2l.train_ch3(net, train_iter, test_iter, cross_entropy, num_epochs, updater)
d2l.predict_ch3(net, test_iter)
results["scratch"] = d2l.evaluate_accuracy(net, test_iter)

# Concise
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
net = nn.Sequential()
net.add(nn.Dense(10))
net.initialize(init.Normal(sigma=0.01))
loss = gluon.loss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, trainer)
results["concise"] = d2l.evaluate_accuracy(net, test_iter)
print(json.dumps(results))
'''

D2L_1_0 = '''
"""d2l 1.0's "Concise Implementation of Softmax Regression" (section 4.5), MXNet code as
printed, then its test accuracy (the chapter plots it)."""
import json
from d2l import mxnet as d2l
from mxnet import gluon, init, npx
from mxnet.gluon import nn
npx.set_np()

class SoftmaxRegression(d2l.Classifier):  #@save
    """The softmax regression model."""
    def __init__(self, num_outputs, lr):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Dense(num_outputs)
        self.net.initialize()

    def forward(self, X):
        return self.net(X)

@d2l.add_to_class(d2l.Classifier)  #@save
def loss(self, Y_hat, Y, averaged=True):
    Y_hat = d2l.reshape(Y_hat, (-1, Y_hat.shape[-1]))
    Y = d2l.reshape(Y, (-1,))
    fn = gluon.loss.SoftmaxCrossEntropyLoss()
    l = fn(Y_hat, Y)
    return l.mean() if averaged else l

data = d2l.FashionMNIST(batch_size=256)
model = SoftmaxRegression(num_outputs=10, lr=0.1)
trainer = d2l.Trainer(max_epochs=10)
trainer.fit(model, data)

correct = sum(float(model.accuracy(model(X), y, averaged=False).sum())
              for X, y in data.val_dataloader())
X, y = data.train[0]
print(json.dumps({"data": [len(data.train), len(data.val), list(X.shape)],
                  "test_acc": correct / len(data.val)}))
'''


def run_program(code, tmp_path, recorder, data_dir):
    env = offline_env(tmp_path, recorder, data_dir)
    r = run_python(code, env, tmp_path, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    notices = [line for line in r.stderr.splitlines() if line.startswith(NOTICE)]
    assert notices == [NOTICE + str(data_dir) + ": Zalando's current release, not the "
                       "2017-08-26 files Gluon's checksums name (README, 'Running the book's "
                       "own code'; KIT_BOOK_CODE=off switches this off)"], r.stderr[-3000:]
    assert "Downloading" not in r.stdout + r.stderr
    assert recorder.requests == []
    home = tmp_path / "home"
    assert not (home / ".mxnet").exists()
    assert not (home / ".cache" / "softmax-kit").exists()
    return last_json(r.stdout)


def test_the_original_lessons_code_runs_offline(tmp_path, recorder, fashion_mnist_dir):
    """Its data line as printed, then d2l 0.17's load_data_fashion_mnist and train_ch3 (the
    names 《动手学深度学习》 2.0 prints) for the scratch and the concise model, ten epochs each."""
    out = run_program(ORIGINAL_LESSON, tmp_path, recorder, fashion_mnist_dir)
    print(out)
    assert out["data"] == [60000, 10000, [28, 28, 1], "uint8", "int32"]
    assert out["batch"] == [[256, 1, 28, 28], "float32", [256]]
    assert out["scratch"] >= 0.80 and out["concise"] >= 0.80


def test_d2l_1_0s_fashion_mnist_and_trainer_run_offline(tmp_path, recorder, fashion_mnist_dir):
    out = run_program(D2L_1_0, tmp_path, recorder, fashion_mnist_dir)
    print(out)
    assert out["data"] == [60000, 10000, [1, 28, 28]]
    assert out["test_acc"] >= 0.80
