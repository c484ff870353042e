"""The quickstart broker's channel (studio/fs_broker.py): kombu's filesystem transport with
one folder listing per run of messages. Messages still come oldest first, exactly once, and
one that arrives after a listing is not lost."""

from __future__ import annotations

import os
import time

from kombu import Connection


def connection(folder):
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder),
               "control_folder": str(folder / "control"), "store_processed": False,
               "polling_interval": 0.01}
    (folder / "control").mkdir(exist_ok=True)
    return Connection("filesystem://", transport="studio.fs_broker:Transport",
                      transport_options=options)


def test_messages_come_oldest_first_and_once(tmp_path):
    with connection(tmp_path) as conn:
        queue = conn.SimpleQueue("texts")
        for n in range(5):
            queue.put({"n": n})
            time.sleep(0.002)  # names carry the publish time in ms (kombu's order)
        taken = []
        for _ in range(3):
            message = queue.get(timeout=2)
            taken.append(message.payload["n"])
            message.ack()
        queue.put({"n": 5})  # published after the listing the channel is working through
        while len(taken) < 6:
            message = queue.get(timeout=2)
            taken.append(message.payload["n"])
            message.ack()
        assert taken == [0, 1, 2, 3, 4, 5]
        assert not [name for name in os.listdir(tmp_path) if name.endswith(".msg")]


def test_a_message_another_consumer_took_is_skipped(tmp_path):
    with connection(tmp_path) as first, connection(tmp_path) as second:
        mine, theirs = first.SimpleQueue("shared"), second.SimpleQueue("shared")
        for n in range(4):
            mine.put({"n": n})
            time.sleep(0.002)
        got = [mine.get(timeout=2)]  # `first` has listed all four
        got += [theirs.get(timeout=2), theirs.get(timeout=2)]  # `second` takes two of them
        got.append(mine.get(timeout=2))
        for message in got:
            message.ack()
        assert sorted(m.payload["n"] for m in got) == [0, 1, 2, 3]


def test_a_publish_is_never_seen_half_written(tmp_path):
    """(Each test names its own queue: kombu keeps declared bindings per process, so a
    queue declared by an earlier test is not declared again in this test's folder.)
    Each message appears under its final name complete (written aside, then renamed),
    and nothing of the writing is left behind."""
    with connection(tmp_path) as conn:
        queue = conn.SimpleQueue("published")
        for n in range(20):
            queue.put({"n": n, "body": "x" * 5000})
        names = os.listdir(tmp_path)
        assert not [name for name in names if name.endswith(".part")]
        messages = [name for name in names if name.endswith(".published.msg")]
        assert len(messages) == 20, names
        assert all((tmp_path / name).stat().st_size > 5000 for name in messages)


def test_an_unreadable_message_is_set_aside_and_the_rest_still_come(tmp_path, caplog):
    """An empty file (kombu's publisher caught between creating and writing it, or killed)
    and a truncated one must not stop the consumer: they go to `damaged`, with a warning."""
    queue_folder = tmp_path / "queue"
    queue_folder.mkdir()
    with connection(queue_folder) as conn:
        queue = conn.SimpleQueue("mixed")
        (queue_folder / "0_a.mixed.msg").write_bytes(b"")
        (queue_folder / "0_b.mixed.msg").write_bytes(b'{"body": "{\\"n\\": 1')
        time.sleep(0.002)
        queue.put({"n": 7})
        with caplog.at_level("WARNING", logger="studio.fs_broker"):
            message = queue.get(timeout=2)
        message.ack()
        assert message.payload == {"n": 7}
    assert sorted(os.listdir(tmp_path / "damaged")) == ["0_a.mixed.msg", "0_b.mixed.msg"]
    assert (tmp_path / "damaged" / "0_b.mixed.msg").read_bytes() == b'{"body": "{\\"n\\": 1'
    assert "set aside an unreadable broker message" in caplog.text
