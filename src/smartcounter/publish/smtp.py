"""Sending mails over SMTP: STARTTLS and login as the settings say, one mail per recipient.

One mail per recipient, so that a server refusing one address fails that delivery alone
and the log can say who got what.
"""

from __future__ import annotations

import base64
import mimetypes
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from smartcounter.publish.messages import Letter

# "Service not available, closing transmission channel": the server ends the session
# (many do after so many messages); smtplib has closed it, the next session may go on.
CLOSING = 421


@dataclass(frozen=True)
class SmtpServer:
    """Where and as whom mails are sent (from ``[publish]``; the password never a setting)."""

    host: str
    port: int
    starttls: bool
    user: str | None
    password: str | None
    sender: str
    timeout: float


class SmtpUnavailable(Exception):  # noqa: N818 (house style: TicketAlreadyServed)
    """The server could not be reached, refused STARTTLS or the login: nothing can be sent."""


class RecipientRefused(Exception):  # noqa: N818 (house style: TicketAlreadyServed)
    """The server refused one mail (an address it does not take, a message too large)."""


def compose(letter: Letter, sender: str) -> EmailMessage:
    """The MIME message of ``letter``, with a Message-ID of the sender's domain."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = letter.recipient.address
    message["Subject"] = letter.subject
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(letter.body)
    for attachment in letter.attachments:
        kind = mimetypes.guess_type(attachment.filename)[0] or "application/octet-stream"
        main, sub = kind.split("/", 1)
        message.add_attachment(
            attachment.path.read_bytes(),
            maintype=main,
            subtype=sub,
            filename=attachment.filename,
        )
        *_, part = message.iter_attachments()  # the one just added
        _name_for_older_readers(part, kind, attachment.filename)
    return message


def _name_for_older_readers(part: EmailMessage, kind: str, filename: str) -> None:
    """Also name a Chinese file in Content-Type as encoded words (RFC 2047).

    The file name is in Content-Disposition as RFC 2231 asks (``filename*0*=utf-8''…``),
    which Outlook over POP/IMAP, Lotus Notes and some webmail do not read: they show
    "ATT00001.bin" or "untitled attachment". They read ``name="=?utf-8?b?…?="`` in
    Content-Type, as Gmail and Thunderbird also write it. Stored raw, folded in lines
    short enough that the generator leaves them as they are.
    """
    if filename.isascii():
        return
    words = Header(filename, "utf-8").encode(maxlinelen=60, linesep="\n")
    del part["Content-Type"]
    part.set_raw("Content-Type", f'{kind};\n name="{words}"')


class Mailer:
    """An open SMTP session that sends one letter at a time."""

    def __init__(self, client: smtplib.SMTP, sender: str) -> None:
        self._client = client
        self._sender = sender

    def send(self, letter: Letter) -> str:
        """Send ``letter``; its Message-ID. ``RecipientRefused`` when the server says no."""
        message = compose(letter, self._sender)
        try:
            refused = self._client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            if code == CLOSING:
                raise SmtpUnavailable(_reply(code, text)) from exc
            raise RecipientRefused(_reply(code, text)) from exc
        except (smtplib.SMTPNotSupportedError, UnicodeError) as exc:
            # An address in Chinese to a server without SMTPUTF8: this mail only.
            raise RecipientRefused(str(exc) or type(exc).__name__) from exc
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise SmtpUnavailable(str(exc) or type(exc).__name__) from exc
        except smtplib.SMTPResponseException as exc:  # data refused, message too large, ...
            if exc.smtp_code == CLOSING:
                raise SmtpUnavailable(_reply(exc.smtp_code, exc.smtp_error)) from exc
            raise RecipientRefused(_reply(exc.smtp_code, exc.smtp_error)) from exc
        except smtplib.SMTPException as exc:
            raise SmtpUnavailable(str(exc) or type(exc).__name__) from exc
        if refused:
            code, text = next(iter(refused.values()))
            raise RecipientRefused(_reply(code, text))
        return str(message["Message-ID"])


@contextmanager
def connect(server: SmtpServer) -> Iterator[Mailer]:
    """An SMTP session: connected, STARTTLS if asked, logged in if a user is set."""
    try:
        client = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpUnavailable(f"{server.host}:{server.port}: {exc}") from exc
    try:
        try:
            client.ehlo()
            if server.starttls:
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if server.user:
                _login(client, server.user, server.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            raise SmtpUnavailable(f"{server.host}:{server.port}: {exc}") from exc
        yield Mailer(client, server.sender)
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def _login(client: smtplib.SMTP, user: str, password: str) -> None:
    try:
        client.login(user, password)
    except UnicodeEncodeError:
        # smtplib sends only ASCII; PLAIN (RFC 4616) carries UTF-8 names and passwords.
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
        code, said = client.docmd("AUTH", f"PLAIN {token}")
        if code != 235:
            raise smtplib.SMTPAuthenticationError(code, said) from None


def _reply(code: int, text: bytes | str) -> str:
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {said}"


def valid_sender(sender: str) -> bool:
    """True when ``sender`` reads as one address (a display name may come with it)."""
    try:
        message = EmailMessage()
        message["From"] = sender
        addresses: tuple[Address, ...] = message["From"].addresses
    except (ValueError, IndexError, TypeError):
        return False
    return len(addresses) == 1 and bool(addresses[0].domain)
