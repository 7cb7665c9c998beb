"""A stand-in Ollama server for tests (shared/ollama-api.md), in-process or as a separate process.

    from tests.standin import StandIn, StandInProcess

`python -m tests.standin --port 0 --models llama3:8b,mistral:latest --pullable phi3:mini` prints
`STANDIN_URL=http://127.0.0.1:PORT` when ready. Knobs: tests/standin/knobs.py.
"""

from .process import StandInProcess
from .server import DEFAULT_MODELS, DEFAULT_PULLABLE, StandIn

__all__ = ["StandIn", "StandInProcess", "DEFAULT_MODELS", "DEFAULT_PULLABLE"]
