"""An aiosmtpd handler for the benchmarks: keeps each message in a Maildir like
aiosmtpd.handlers.Mailbox (same layout, same X-MailFrom / X-RcptTo headers), but without
fsync. Python's mailbox module fsyncs every message on aiosmtpd's single event-loop thread,
which serialises all sessions on the disk's fsync latency; a real MTA accepts concurrently.

Use: python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c unsynced_maildir.UnsyncedMaildir DIR
(with this directory on PYTHONPATH)."""

import os
import time
import uuid


class UnsyncedMaildir:
    def __init__(self, directory):
        self.directory = directory
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(directory, sub), exist_ok=True)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("UnsyncedMaildir takes one argument: the Maildir directory")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        headers = "X-Peer: {}\r\nX-MailFrom: {}\r\nX-RcptTo: {}\r\n".format(
            session.peer[0], envelope.mail_from, ", ".join(envelope.rcpt_tos)
        ).encode()
        name = "{:.6f}.{}".format(time.time(), uuid.uuid4().hex)
        partial = os.path.join(self.directory, "tmp", name)
        with open(partial, "wb") as f:
            f.write(headers)
            f.write(envelope.original_content or envelope.content)
        os.rename(partial, os.path.join(self.directory, "new", name))
        return "250 Message accepted for delivery"
