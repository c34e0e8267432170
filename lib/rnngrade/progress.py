"""Progress of a batch on stderr: submissions done, failures so far and the time left.

On a terminal it is one line rewritten in place; elsewhere (a log file, CI) a plain line per submission.
The time left is the mean time per submission so far times the submissions left.
"""

import sys
import time


class Progress:
    def __init__(self, total, stream=None, clock=time.monotonic):
        self.total, self.done, self.failed = total, 0, 0
        self.stream = stream or sys.stderr
        self.clock = clock
        self.start = clock()
        self.inline = self.stream.isatty()

    def line(self):
        text = f"graded {self.done}/{self.total}, {self.failed} failed"
        if self.done and self.done < self.total:
            left = (self.clock() - self.start) / self.done * (self.total - self.done)
            text += f", about {_duration(left)} left"
        elif self.done == self.total:
            text += f", in {_duration(self.clock() - self.start)}"
        return text

    def advance(self, failed=False):
        self.done += 1
        self.failed += bool(failed)
        self.show()

    def show(self):
        if self.inline:
            self.stream.write("\r\033[K" + self.line())
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()


def _duration(seconds):
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
