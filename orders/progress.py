"""Progress for long commands: "label: n/N (p%), r/s, ETA mm:ss" on stderr.

    progress = Progress(total=len(rows), label="import")
    for row in rows:
        ...
        progress.advance()
    progress.done()

Prints at most every `every_seconds` (and always at the end), so it costs nothing in a tight loop.
"""

import sys
import time


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class Progress:
    def __init__(self, *, total: int, label: str = "", stream=None, every_seconds: float = 1.0, clock=time.monotonic):
        self.total = max(0, int(total))
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.every_seconds = every_seconds
        self.clock = clock
        self.started = clock()
        self.last_printed = None
        self.count = 0

    def line(self) -> str:
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.count / elapsed
        prefix = f"{self.label}: " if self.label else ""
        if self.total:
            percent = 100 * self.count / self.total
            eta = _clock((self.total - self.count) / rate) if rate > 0 else "--:--"
            return f"{prefix}{self.count}/{self.total} ({percent:.0f}%), {rate:.1f}/s, ETA {eta}"
        return f"{prefix}{self.count}, {rate:.1f}/s, elapsed {_clock(elapsed)}"

    def advance(self, n: int = 1) -> None:
        self.count += n
        now = self.clock()
        if self.last_printed is None or now - self.last_printed >= self.every_seconds:
            self.last_printed = now
            self._print()

    def done(self) -> None:
        elapsed = self.clock() - self.started
        prefix = f"{self.label}: " if self.label else ""
        start = "\r" if self._tty() else ""
        self.stream.write(f"{start}{prefix}{self.count}/{self.total or self.count} done in {_clock(elapsed)}\n")
        self.stream.flush()

    def _tty(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def _print(self) -> None:
        # A terminal shows one line rewritten in place; a log file gets one line per update.
        self.stream.write("\r" + self.line() if self._tty() else self.line() + "\n")
        self.stream.flush()
