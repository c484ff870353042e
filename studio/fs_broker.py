"""The quickstart's broker: kombu's filesystem transport, listing its folder once per run of
messages instead of once per message.

kombu's filesystem channel lists and sorts the whole message folder for every message it
takes: with 2,000 texts queued that is about 1 ms of the worker's CPU per text, more than
sending the text. This channel keeps the sorted listing and takes files from it in order
until it runs out, then lists again. The order is kombu's (file names start with the
publish time), a file another consumer took meanwhile is skipped as kombu skips it (the
move fails), and a message published after the listing waits only until the listing runs
out. Everything else, publishing included, is kombu's own. Selected in studio/settings.py
(CELERY_BROKER_TRANSPORT) for the filesystem broker only.

Two more things kombu leaves to chance. Its publisher creates the message file and then
writes it, so a consumer listing the folder in between takes an empty file, and a publisher
killed mid-write leaves a truncated one; either made the worker stop for good ("Unrecoverable
error: JSONDecodeError"), and every restart took the same file again. Here a message is
written under a name no consumer lists and renamed into place (a rename within one folder
is atomic), and a file that still does not parse (from kombu's own publisher, or a disk
that filled up) is moved to a `damaged` folder beside the queue with a warning instead of
stopping the worker. Its task is lost, as a crashed worker's prefetched tasks are: the
sweepers (stalled sends, due webhooks, due journey steps) pick up what it stood for.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections import deque
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

log = logging.getLogger(__name__)
DAMAGED = "damaged"


class Channel(filesystem.Channel):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._listed: dict[str, deque[str]] = {}

    def _get(self, queue: str, timeout: float | None = None):
        """The next message of `queue`, oldest first (Empty when there is none; like
        kombu's, it never waits, so `timeout` is unused)."""
        names = self._listed.setdefault(queue, deque())
        listed_now = False
        while True:
            if not names:
                if listed_now:
                    raise Empty()
                names.extend(self._names(queue))
                listed_now = True
                continue
            message = self._take(names.popleft())
            if message is not None:
                return message

    def _names(self, queue: str) -> list[str]:
        wanted = f"{queue}.msg"  # "<time>_<uuid>.<queue>.msg", as kombu names them
        return sorted(name for name in os.listdir(self.data_folder_in)
                      if name.partition(".")[2] == wanted)

    def _take(self, name: str):
        """kombu's own take: move the file out of the queue (only one consumer can), read
        it, delete it unless processed messages are kept. None: someone else took it."""
        folder = self.processed_folder if self.store_processed else tempfile.gettempdir()
        try:
            shutil.move(os.path.join(self.data_folder_in, name), folder)
        except OSError:
            return None
        path = os.path.join(folder, name)
        try:
            with open(path, "rb") as file:
                payload = file.read()
            if not self.store_processed:
                os.remove(path)
        except OSError as exc:
            raise ChannelError(f"Cannot read file {path!r} from queue.") from exc
        try:
            return loads(bytes_to_str(payload))
        except ValueError:  # empty or truncated: see the module docstring
            self._set_aside(name, payload)
            return None

    def _set_aside(self, name: str, payload: bytes) -> None:
        folder = os.path.join(os.path.dirname(os.path.abspath(self.data_folder_in)), DAMAGED)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, name), "wb") as file:
            file.write(payload)
        log.warning("set aside an unreadable broker message (%d bytes) in %s: %s",
                    len(payload), folder, name)

    def _put(self, queue, message, **kwargs):
        """kombu's publish, written under a temporary name and renamed into place, so no
        consumer ever sees a partly written message. The name is kombu's (publish time
        first: its order)."""
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(partial, "wb", buffering=0) as file:
                file.write(str_to_bytes(dumps(message)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
