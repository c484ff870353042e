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
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import deque
from queue import Empty

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str
from kombu.utils.json import loads


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
        return loads(bytes_to_str(payload))


class Transport(filesystem.Transport):
    Channel = Channel
