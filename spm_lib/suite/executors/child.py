"""``python -m spm_lib.suite.executors.child``: execute one pickled NotebookTask read from stdin
in this fresh interpreter and write the pickled NotebookResult to stdout (used on Dask workers
whose processes may not fork). The parent starts it with the report environment
(:func:`.environment.report_environment`), which must be set before numpy is imported."""

from __future__ import annotations

import pickle
import sys

from spm_lib.suite.notebook import execute_one


def main() -> None:
    task = pickle.loads(sys.stdin.buffer.read())
    result = execute_one(task)
    sys.stdout.buffer.write(pickle.dumps(result))


if __name__ == "__main__":
    main()
