"""Database URLs as the connector reads them: one parse (SQLAlchemy's ``make_url``) decides
what is a password, what a secret query parameter, what is shown and what connects.

- :func:`refuse_written_secrets`: every credential (the user-info password, however written:
  ``pa/ss``, ``pa#ss``, ``p%40ss``; the value of a secret query key, its name decoded:
  ``?pass%77ord=``) must be a ``${NAME}`` environment variable.
- :func:`connect_url`: the URL with ``${NAME}`` replaced by the variable's value inside each
  component (a value is never read as URL syntax: ``@`` or ``/`` in a password stays in it).
- :func:`masked`: the URL as shown, logged, stored or raised, every credential ``***``.
- :func:`scrubbed`: a driver's message with every secret value (as given and URL-encoded)
  replaced by ``***``.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote, quote_plus

from spm_lib.exceptions import DataError

VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
SECRET_PARAMETERS = (
    "password",
    "passwd",
    "pwd",
    "pass",
    "sslpassword",
    "secret",
    "token",
    "access_token",
    "api_key",
    "apikey",
    "access_key",
    "secret_key",
    "client_secret",
    "auth",
    "key",
)
_SECRET_WORDS = ("password", "passwd", "secret", "token", "apikey", "api_key", "credential")
MASK = "***"


def is_secret_key(key: str) -> bool:
    """A query parameter that carries a credential: one of :data:`SECRET_PARAMETERS`, or a
    name holding password, secret, token, api key or credential (case ignored, decoded)."""
    name = str(key).strip().lower()
    return name in SECRET_PARAMETERS or any(word in name for word in _SECRET_WORDS)


def parsed(url: str):
    """The URL as SQLAlchemy parses it to connect (``sqlalchemy.engine.URL``); DataError
    when it cannot be parsed (its credentials never in the message)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(str(url))
    except Exception as exc:  # ArgumentError, or ValueError for a port that is no number
        raise DataError(
            f"database URL {_masked_unparsed(str(url))} cannot be read: {type(exc).__name__}",
            expected="scheme://user:${PASSWORD}@host:port/database with a numeric port",
        ) from None


def _values(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def secrets_of(url: str) -> list[str]:
    """Every credential written in a URL, decoded: its user-info password and the values of
    its secret query parameters (:func:`is_secret_key`), ``${NAME}`` as written."""
    if "://" not in str(url):
        return []
    parts = parsed(url)
    found = [parts.password] + [
        v for k, vs in parts.query.items() if is_secret_key(k) for v in _values(vs)
    ]
    return [str(s) for s in found if s]


def password_of(url: str) -> str | None:
    """The password written in a URL's user info, decoded (None without one)."""
    return (parsed(url).password or None) if "://" in str(url) else None


def refuse_written_secrets(url: str, where: str = "") -> None:
    """Raise DataError when ``url`` has a credential written in it instead of a ``${NAME}``
    environment variable: run outputs keep the data reference, so a written password would be
    stored with them."""
    written = [s for s in secrets_of(url) if not VARIABLE.fullmatch(s)]
    if written:
        raise DataError(
            f"{where}{masked(url)}: put the password in an environment variable, e.g. "
            "postgresql://user:${PGPASSWORD}@host/db or ?password=${PGPASSWORD}; run outputs "
            "keep the data reference, so a password written in the URL would be stored with "
            "them",
            path=masked(url),
            expected="${NAME} instead of the password",
        )


def expand(text: str, shown: str) -> str:
    """``text`` with each ``${NAME}`` replaced by the environment variable's value."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise DataError(
                f"database URL {shown}: environment variable {name} is not set",
                expected=f"the environment variable {name}",
            )
        return os.environ[name]

    return VARIABLE.sub(value, text)


def connect_url(url: str):
    """The ``sqlalchemy.engine.URL`` to connect with: ``${NAME}`` expanded inside each
    component; ``postgres``/``postgresql`` through pg8000; a PostgreSQL URL without a password
    takes ``PGPASSWORD``."""
    shown = masked(url)
    parts = parsed(url)

    def filled(value):
        return None if value is None else expand(str(value), shown)

    query = {
        k: tuple(filled(v) for v in vs) if isinstance(vs, tuple) else filled(vs)
        for k, vs in parts.query.items()
    }
    parts = parts.set(
        username=filled(parts.username),
        password=filled(parts.password),
        host=filled(parts.host),
        database=filled(parts.database),
        query=query,
    )
    if parts.drivername in ("postgres", "postgresql"):
        parts = parts.set(drivername="postgresql+pg8000")
    pgpassword = os.environ.get("PGPASSWORD")
    if parts.drivername.startswith("postgresql") and not parts.password and pgpassword:
        parts = parts.set(password=pgpassword)
    return parts


def secrets_to_scrub(url) -> list[str]:
    """The credentials of a connect URL as a driver might print them: as given, and
    URL-encoded (``quote`` and ``quote_plus``)."""
    values = [url.password] + [
        v for k, vs in url.query.items() if is_secret_key(k) for v in _values(vs)
    ]
    forms = {
        form for v in values if v for form in (str(v), quote(str(v), safe=""), quote_plus(str(v)))
    }
    return sorted(forms, key=len, reverse=True)


def scrubbed(message: str, secrets: list[str]) -> str:
    """``message`` with each of ``secrets`` replaced by ``***``."""
    for secret in secrets:
        message = message.replace(secret, MASK)
    return message


def masked(url: str) -> str:
    """The URL with every credential replaced by ``***``: the user-info password
    (``user:***@``) and each secret query parameter's value (``?password=***``), as the
    connector parses them. A string that is no URL is returned as it is."""
    text = str(url)
    if "://" not in text:
        return text
    try:
        parts = parsed(text)
    except DataError:
        return _masked_unparsed(text)
    auth = ""
    if parts.username is not None or parts.password is not None:
        auth = (
            quote(parts.username or "", safe="${}")
            + (f":{MASK}" if parts.password is not None else "")
            + "@"
        )
    host = parts.host or ""
    host = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port is not None else ""
    database = f"/{parts.database}" if parts.database is not None else ""
    pairs = [
        f"{k}={MASK if is_secret_key(k) else v}"
        for k, vs in parts.query.items()
        for v in _values(vs)
    ]
    query = "?" + "&".join(pairs) if pairs else ""
    return f"{parts.drivername}://{auth}{host}{port}{database}{query}"


def _masked_unparsed(text: str) -> str:
    """A ``scheme://`` string the parser refuses: everything up to its last ``@`` masked,
    and its query dropped."""
    scheme, rest = text.split("://", 1)
    rest = rest.rsplit("@", 1)[-1] if "@" in rest else rest
    auth = f"{MASK}@" if "@" in text.split("://", 1)[1] else ""
    return f"{scheme}://{auth}{rest.split('?', 1)[0]}" + ("?***" if "?" in rest else "")
