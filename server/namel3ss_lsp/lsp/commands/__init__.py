"""`workspace/executeCommand`: the commands of the contract (seven, then updateModel), one module per command
family; `base` holds what they share and imports none of them."""

from __future__ import annotations

from ..context import ServerContext
from .base import LIST, PULL, REFRESH, REMOVE, START, STATUS, TRY, UPDATE, add_command
from .models import list_models, refresh_command, status_command
from .pull import pull_command
from .remove import remove_command
from .start import start_server_command
from .try_model import try_model_command
from .update import update_command


def register(ls: ServerContext) -> None:
    add_command(ls, PULL, pull_command)
    add_command(ls, REMOVE, remove_command)
    add_command(ls, LIST, list_models)
    add_command(ls, STATUS, status_command)
    add_command(ls, REFRESH, refresh_command)
    add_command(ls, START, start_server_command)
    add_command(ls, TRY, try_model_command)
    add_command(ls, UPDATE, update_command)
