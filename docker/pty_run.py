"""Run a command on a pseudo-terminal, as a person at a terminal would, for docker/test.sh.

    python3 docker/pty_run.py [--expect TEXT --answer LINE [--on-prompt CMD]] [--timeout S] -- COMMAND...

Echoes what the command shows. When TEXT appears, runs CMD (a shell command, e.g. a look at
the container while it waits) and types LINE and Enter. Exits with the command's status;
97 if TEXT never appeared, 98 if CMD failed, 124 on time-out.
"""

import argparse
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--expect", help="text to wait for before answering")
    parser.add_argument("--answer", help="line to type once EXPECT appears")
    parser.add_argument("--on-prompt", help="shell command to run once EXPECT appears, before answering")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("command", nargs="+")
    args = parser.parse_args()

    pid, master = pty.fork()
    if pid == 0:
        os.execvp(args.command[0], args.command)
    # Compose sizes the container's terminal after this one; a 0x0 one confuses progress bars.
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    deadline = time.monotonic() + args.timeout
    seen, answered, hook_failed = b"", args.expect is None, False
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
            print(f"\npty_run: timed out after {args.timeout:g} s", file=sys.stderr)
            return 124
        ready, _, _ = select.select([master], [], [], min(remaining, 1.0))
        if not ready:
            continue
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the command closed the terminal
            chunk = b""
        if not chunk:
            break
        sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
        if not answered:
            seen = (seen + chunk)[-4096:]
            if args.expect.encode() in seen:
                answered = True
                if args.on_prompt and subprocess.run(args.on_prompt, shell=True).returncode != 0:
                    hook_failed = True
                os.write(master, args.answer.encode() + b"\r")  # Enter sends CR; the tty makes it NL
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if not answered:
        print(f"\npty_run: {args.expect!r} never appeared", file=sys.stderr)
        return 97
    if hook_failed:
        print(f"\npty_run: {args.on_prompt!r} failed", file=sys.stderr)
        return 98
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
