"""An SMTP server for the tests of veche's TLS and authentication: aiosmtpd's Maildir
handler behind STARTTLS (required before anything else) or TLS from the first byte (SMTPS),
with AUTH required and accepted for one user name and password only.

Use: python3 secured_server.py starttls|smtps PORT CERT KEY MAILDIR USER PASSWORD"""

import asyncio
import ssl
import sys

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP, AuthResult


def main():
    mode, port, cert, key, maildir, user, password = sys.argv[1:]
    if mode not in ("starttls", "smtps"):
        sys.exit("the mode is starttls or smtps")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Mailbox(maildir)

    def authenticator(server, session, envelope, mechanism, auth_data):
        known = auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=known, handled=False)

    def session():
        if mode == "starttls":
            secured = {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
        else:
            # aiosmtpd only knows of TLS it started itself; this socket is TLS already.
            secured = {"auth_require_tls": False}
        return SMTP(handler, auth_required=True, authenticator=authenticator, **secured)

    loop = asyncio.new_event_loop()
    wrapped = context if mode == "smtps" else None
    loop.run_until_complete(loop.create_server(session, "127.0.0.1", int(port), ssl=wrapped))
    loop.run_forever()


if __name__ == "__main__":
    main()
