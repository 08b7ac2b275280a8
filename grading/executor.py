"""Run code cells in a student's kernel, one at a time, each with a time limit.

The kernel speaks Jupyter's protocol over IPC sockets in the sandbox's /run/kernel, which
the grader reaches through /proc/<pid>/root and which is read-only once they are bound. Everything it sends is the student's to forge, so each
message is read defensively, its size is capped, and nothing it says decides a grade:
the outputs kept here only show the student what happened. A cell that outlives its
limit, or a kernel that dies, ends the run; the caller decides what to do next.
"""
import base64
import binascii
import json
import queue
import re
import secrets
import time
from dataclasses import dataclass, field

import zmq

CONNECTION = "connection.json"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_MESSAGE_BYTES = 4 * 2**20   # a bigger message is dropped (with its connection, renewed)
QUEUED_MESSAGES = 64            # per socket: what the kernel sends beyond waits, or is dropped
REPLY_GRACE = 1.0               # after the execute reply, the seconds left for the last outputs


def connection(runtime_inside, runtime_outside):
    """(the kernel's connection file as bytes, the grader's connection info) of a new kernel.

    Both ends name the same sockets: the kernel by their path inside its sandbox, the
    grader through /proc/<pid>/root (`runtime_outside`).
    """
    info = {"transport": "ipc", "ip": f"{runtime_inside}/k", "shell_port": 1, "iopub_port": 2,
            "stdin_port": 3, "control_port": 4, "hb_port": 5, "key": secrets.token_hex(32),
            "signature_scheme": "hmac-sha256", "kernel_name": ""}
    return json.dumps(info).encode(), dict(info, ip=f"{runtime_outside}/k")


@dataclass
class CellRun:
    """What running one cell gave: its outputs (nbformat dicts), how it ended, how long it took."""

    outputs: list = field(default_factory=list)
    status: str = "ok"      # ok, error, timeout, died
    seconds: float = 0.0
    error: tuple = None     # (ename, evalue) of an error output


def _text(value, limit):
    if isinstance(value, list):
        value = "".join(v for v in value if isinstance(v, str))
    if not isinstance(value, str):
        return ""
    value = ANSI.sub("", value[:limit + 1000])
    if not value.isascii():  # a lone surrogate (half a UTF-16 pair) cannot be written out
        value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value if len(value) <= limit else value[:limit] + "\n[... output cut ...]\n"


def _png(value, limit):
    if not isinstance(value, str) or len(value) > limit:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return value if raw.startswith(b"\x89PNG\r\n\x1a\n") else None


class Outputs:
    """A cell's outputs as they arrive, kept within `chars` characters of text."""

    def __init__(self, chars, image_bytes, images=None, cell_images=10):
        """chars: text kept; image_bytes: the largest PNG kept; images: {"left": bytes} of
        PNG the whole notebook may still keep (shared by its cells); cell_images: PNGs a cell
        may keep."""
        self.items, self.chars, self.image_bytes, self.error = [], chars, image_bytes, None
        self.images = images if images is not None else {"left": 10 * image_bytes}
        self.cell_images = cell_images

    def room(self):
        """Characters of text still to keep."""
        used = sum(len(o.get("text", "")) + len(json.dumps(o.get("data", {})))
                   for o in self.items)
        return max(0, self.chars - used)

    def add(self, kind, content):
        """Keep one IOPub message of `kind` (stream, results, error, clear_output), within bounds."""
        room = self.room()
        if kind == "stream":
            name = content.get("name") if content.get("name") in ("stdout", "stderr") else "stdout"
            text = _text(content.get("text"), room)
            if text and self.items and self.items[-1].get("name") == name:
                self.items[-1]["text"] += text
            elif text:
                self.items.append({"output_type": "stream", "name": name, "text": text})
        elif kind in ("execute_result", "display_data"):
            data = content.get("data") if isinstance(content.get("data"), dict) else {}
            kept = {}
            text = _text(data.get("text/plain"), room)
            if text:
                kept["text/plain"] = text
            png = _png(data.get("image/png"), min(self.image_bytes, self.images["left"]))
            if png and self.cell_images > 0:
                kept["image/png"] = png
                self.images["left"] -= len(png)
                self.cell_images -= 1
            if kept:
                out = {"output_type": kind, "data": kept, "metadata": {}}
                if kind == "execute_result":
                    out["execution_count"] = None
                self.items.append(out)
        elif kind == "error":
            ename = _text(content.get("ename"), 200) or "Error"
            evalue = _text(content.get("evalue"), min(2000, room))
            trace = [_text(line, 2000) for line in content.get("traceback", [])[:60]
                     if isinstance(line, str)]
            self.error = (ename, evalue)
            self.items.append({"output_type": "error", "ename": ename, "evalue": evalue,
                               "traceback": trace if sum(map(len, trace)) <= room else []})
        elif kind == "clear_output":
            self.items = []


class Kernel:
    """The grader's end of one student's kernel."""

    def __init__(self, info, alive):
        from jupyter_client.blocking import BlockingKernelClient
        self.context = zmq.Context()
        self.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self.context.setsockopt(zmq.RCVHWM, QUEUED_MESSAGES)  # the grader's memory is bounded:
        self.context.setsockopt(zmq.SNDHWM, QUEUED_MESSAGES)  # at most this many a socket
        self.context.setsockopt(zmq.LINGER, 0)
        self.context.setsockopt(zmq.RECONNECT_IVL, 10)  # the kernel binds a moment later
        self.client = BlockingKernelClient(context=self.context)
        self.client.load_connection_info(info)
        self.alive = alive

    def connect(self, timeout):
        """Wait until the kernel answers on both channels; False if it died or `timeout` s passed.

        Asks for kernel_info until its reply arrives and the kernel's status for one of the
        requests shows on IOPub: then IOPub is subscribed, and nothing is missed.
        """
        self.client.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=False)
        poller = zmq.Poller()
        poller.register(self.client.shell_channel.socket, zmq.POLLIN)
        poller.register(self.client.iopub_channel.socket, zmq.POLLIN)
        deadline = time.monotonic() + timeout
        asked, replied, ask_at = set(), False, 0.0
        while time.monotonic() < deadline:
            if not self.alive():
                return False
            if time.monotonic() >= ask_at:
                asked.add(self.client.kernel_info())
                ask_at = time.monotonic() + 0.25
            poller.poll(timeout=50)
            try:
                while True:
                    msg = self.client.get_shell_msg(timeout=0)
                    replied = replied or msg["msg_type"] == "kernel_info_reply"
            except Exception:  # noqa: BLE001 (queue.Empty, or an unreadable message)
                pass
            try:
                while True:
                    msg = self.client.get_iopub_msg(timeout=0)
                    if replied and msg["parent_header"].get("msg_id") in asked:
                        return True
            except Exception:  # noqa: BLE001
                pass
        return False

    def run(self, code, timeout, chars=20_000, image_bytes=300_000, silent=False, images=None,
            clock=time.monotonic):
        """Execute `code`; return its CellRun (status "timeout" or "died" ends the kernel's use).

        images: {"left": bytes} of PNG the notebook may still keep, shared by its cells;
        clock: what `timeout` and the CellRun's seconds count (default: wall time;
        grading.clock.Clock: the time charged to the kernel)."""
        outputs, tic = Outputs(chars, image_bytes, images), clock()
        status = "ok"
        msg_id = self.client.execute(code, silent=silent, store_history=not silent,
                                     allow_stdin=False, stop_on_error=False)
        deadline, replied = tic + timeout, None
        while True:
            remaining = deadline - clock()
            if remaining <= 0:
                status = "timeout"
                break
            # Nothing of the kernel's waits in the grader meanwhile; its reply also ends the
            # cell (shortly after), should IOPub's "idle" be lost.
            if self._drain_shell(100, msg_id) and replied is None:
                replied = time.monotonic()
            if replied is not None and time.monotonic() - replied > REPLY_GRACE:
                break
            try:
                msg = self.client.get_iopub_msg(timeout=min(0.2, remaining))
            except queue.Empty:
                if not self.alive():
                    status = "died"
                    break
                continue
            except Exception:  # noqa: BLE001 (an unreadable message: skip it)
                continue
            try:
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                kind, content = msg["header"]["msg_type"], msg["content"]
                if not isinstance(content, dict):
                    continue
                if kind == "status" and content.get("execution_state") == "idle":
                    break
                outputs.add(kind, content)
            except (KeyError, TypeError, AttributeError):
                continue
        self._drain_shell()
        if status == "ok" and outputs.error:
            status = "error"
        return CellRun(outputs.items, status, clock() - tic, outputs.error)

    def _drain_shell(self, most=10_000, msg_id=None):
        """Read and drop what waits on the shell channel; True if the reply to `msg_id` was there."""
        seen = False
        for _ in range(most):
            try:
                msg = self.client.get_shell_msg(timeout=0)
            except Exception:  # noqa: BLE001 (queue.Empty, or an unreadable reply)
                return seen
            try:
                seen = seen or (msg_id is not None and msg["msg_type"] == "execute_reply" and
                                msg["parent_header"].get("msg_id") == msg_id)
            except (KeyError, TypeError, AttributeError):
                continue
        return seen

    def close(self):
        """Stop the channels and the sockets."""
        try:
            self.client.stop_channels()
        finally:
            self.context.destroy(linger=0)
