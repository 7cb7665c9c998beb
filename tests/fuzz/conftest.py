"""The atheris harnesses here are long-running fuzzers, not tests: pytest must not collect them."""

collect_ignore_glob = ["*.py"]
