"""What the teacher sees while a class is graded: a progress bar, then a summary.

The bar redraws in place on a terminal and prints a line every tenth of the way
otherwise (a log, CI). The summary counts what was graded, lists every submission that
needs attention with the reason, and gives the time per submission.
"""
import time


def shown(text):
    """`text` safe for a terminal: control characters (escape sequences) as '?'."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(text))


class Progress:
    """A progress bar over `total` submissions, drawn on `stream`."""

    def __init__(self, total, stream, width=30):
        self.total, self.stream, self.width = total, stream, width
        self.done = self.attention = 0
        self.tic = time.monotonic()
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.last_tenth = -1

    def update(self, outcome):
        """Count one more graded submission and redraw."""
        self.done += 1
        self.attention += bool(outcome.attention)
        elapsed = time.monotonic() - self.tic
        left = elapsed / self.done * (self.total - self.done)
        filled = int(self.width * self.done / max(self.total, 1))
        line = (f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} "
                f"graded, {self.attention} need attention, {elapsed:.0f} s, ~{left:.0f} s left")
        if self.tty:
            self.stream.write("\r" + line)
            if self.done == self.total:
                self.stream.write("\n")
        else:
            tenth = 10 * self.done // max(self.total, 1)
            if tenth != self.last_tenth or self.done == self.total:
                self.stream.write(line + "\n")
                self.last_tenth = tenth
        self.stream.flush()


def summary(outcomes, seconds, workers):
    """The closing report as text."""
    graded = [o for o in outcomes if not o.error]
    attention = [o for o in outcomes if o.attention]
    lines = [f"graded {len(graded)} submission{'s' * (len(graded) != 1)} in {seconds:.1f} s "
             f"with {workers} worker{'s' * (workers != 1)}"
             + (f" ({seconds / len(outcomes):.2f} s each)" if outcomes else "")]
    if attention:
        lines.append(f"{len(attention)} need{'s' * (len(attention) == 1)} attention "
                     "(flagged in the gradebook):")
        for o in sorted(attention, key=lambda o: (o.job.assignment, o.job.student)):
            score = f"{o.score:g}/{o.max_score:g}" if o.max_score else "-"
            lines.append(f"  {o.job.assignment}  {shown(o.job.student)}  {score}  "
                         + shown("; ".join(o.attention)))
    else:
        lines.append("none needs attention")
    return "\n".join(lines)
