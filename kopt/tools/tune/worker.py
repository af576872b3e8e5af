"""A local worker process of `kopt tune` (`python -m kopt.tools.tune.worker`): tasks in, results out.

Frames on stdin and on the original stdout: 8 bytes of length (little-endian), then a pickle. A task is a
dict (kopt/tools/tune/tasks.py); the answer is ("ok", result) or ("error", text). Anything the task prints
goes to stderr, which the job sends to a log file. Not multiprocessing: its spawn re-imports the user's main
script in every worker (kopt/runtime/precompile.py says the same).
"""

from __future__ import annotations

import os
import pickle
import sys
import traceback


def read_frame(stream) -> object | None:
    header = stream.read(8)
    if len(header) < 8:
        return None
    n = int.from_bytes(header, "little")
    data = stream.read(n)
    if len(data) < n:
        return None
    return pickle.loads(data)


def write_frame(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(8, "little") + data)
    stream.flush()


def main() -> None:
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # what the compiled code prints stays off the answer channel
    from kopt.tools.tune.tasks import run_task

    while True:
        task = read_frame(sys.stdin.buffer)
        if task is None:
            return
        try:
            answer = ("ok", run_task(task))
        except BaseException as e:  # noqa: BLE001 - every failure goes back to the job, which retries it once
            lines = str(e).strip().splitlines()
            text = f"{type(e).__name__}: {lines[0] if lines else ''}"
            sys.stderr.write(traceback.format_exc())
            answer = ("error", text[:2000])
        write_frame(answers, answer)


if __name__ == "__main__":
    main()
