"""Mail each audience its pack after `spm run --segment-by ...`, with the standard library.

    python examples/scheduling/mail_packs.py --out reports --period latest \
        --recipients recipients.yaml --smtp smtp.example.com:587 --starttls \
        --sender sales-ops@example.com

``recipients.yaml`` maps an audience folder (``all``, ``region-West``...; the folder names of
``OUT/<period>/``) to addresses::

    all: [vp-sales@example.com]
    region-West: [west-manager@example.com]

Each audience gets one message: the brief's headline as text, the brief itself as the HTML
part, and its pack (the folder ``OUT/<period>/<audience>/``: brief, reports, manifest,
executed notebooks) as a zip. A pack holds nothing of another audience, so nothing else is
sent. A pack whose reports failed is sent with a subject that says so. The SMTP password, if
the server needs one, comes from ``$SPM_SMTP_PASSWORD`` (user: ``--smtp-user``), never from
the command line, and is sent only over TLS (``--starttls``, or ``--smtps`` on port 465) to a
server whose certificate the system's trust store (or ``--cafile``) vouches for: a self-signed
or unknown server is refused before anything is sent. ``--dry-run`` prints what would be sent.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import smtplib
import ssl
import sys
import zipfile
from email.message import EmailMessage
from pathlib import Path

import yaml


def latest_period(out: Path) -> str:
    """The period folder of ``out`` with the latest period end (from the manifests)."""
    ends = {}
    for manifest in out.glob("*/*/manifest.json"):
        found = json.loads(manifest.read_text(encoding="utf-8"))
        ends[found["period"]] = max(ends.get(found["period"], ""), found["period_end"])
    if not ends:
        raise SystemExit(f"no pack under {out}: run `spm run --out {out}` first")
    return max(ends, key=ends.get)


def zipped(folder: Path) -> bytes:
    """``folder`` as a zip, its files under ``<folder name>/``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{folder.name}/{path.relative_to(folder)}")
    return buffer.getvalue()


def message_for(pack: Path, sender: str, to: list[str]) -> EmailMessage:
    """The message of one audience's pack (see the module docstring)."""
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    audience = "All reps" if manifest["audience"] in (None, "All") else manifest["audience"]
    failed = [n["name"] for n in manifest["notebooks"] if n["status"] != "ok"]
    subject = f"Sales performance brief: {audience}, {manifest['period']}"
    if failed:
        subject += f" ({len(failed)} reports failed)"
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, sender, ", ".join(to)
    lines = [
        f"The sales performance pack for {audience}, {manifest['period']} "
        f"({manifest['period_start']} to {manifest['period_end']}), data as of "
        f"{manifest['data_as_of']}.",
        "",
        "Open index.html in the attached folder for the brief and every report.",
    ]
    if failed:
        lines += ["", "These reports failed; the others rendered: " + ", ".join(failed)]
    message.set_content("\n".join(lines))
    message.add_alternative((pack / "index.html").read_text(encoding="utf-8"), subtype="html")
    message.add_attachment(
        zipped(pack),
        maintype="application",
        subtype="zip",
        filename=f"{manifest['period']}-{pack.name}.zip",
    )
    return message


def tls_context(cafile: str | None = None) -> ssl.SSLContext:
    """The TLS context for the SMTP server: the system's trust store (or ``cafile``, a
    company's own CA), the server's certificate and host name verified. A self-signed or
    unknown server is refused before the password or a pack is sent."""
    return ssl.create_default_context(cafile=cafile)


def send_packs(
    out: Path,
    period: str,
    recipients: dict[str, list[str]],
    sender: str,
    smtp: str,
    starttls: bool = False,
    user: str = "",
    dry_run: bool = False,
    smtps: bool = False,
    cafile: str | None = None,
) -> list[EmailMessage]:
    """Send each audience of ``recipients`` its pack of ``period``; return the messages.
    ``starttls`` upgrades the connection, ``smtps`` connects over TLS (port 465); both verify
    the server's certificate (:func:`tls_context`)."""
    period = latest_period(out) if period == "latest" else period
    messages = []
    for folder, to in recipients.items():
        pack = out / period / folder
        if not (pack / "manifest.json").is_file():
            print(f"no pack {pack}: skipped", file=sys.stderr)
            continue
        messages.append(message_for(pack, sender, list(to)))
    if dry_run:
        for message in messages:
            print(f"{message['To']}: {message['Subject']}")
        return messages
    host, _, port = smtp.partition(":")
    if user and not (starttls or smtps):
        raise SystemExit("--smtp-user sends a password: use --starttls or --smtps")
    connect = (
        smtplib.SMTP_SSL(host, int(port or 465), timeout=60, context=tls_context(cafile))
        if smtps
        else smtplib.SMTP(host, int(port or 25), timeout=60)
    )
    with connect as server:
        if starttls and not smtps:
            server.starttls(context=tls_context(cafile))
        if user:
            server.login(user, os.environ["SPM_SMTP_PASSWORD"])
        for message in messages:
            server.send_message(message)
    return messages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="the folder `spm run --out` wrote")
    parser.add_argument("--period", default="latest", help="a period folder, or latest")
    parser.add_argument("--recipients", required=True, help="YAML: audience folder -> addresses")
    parser.add_argument("--smtp", default="localhost:25", help="HOST:PORT of the SMTP server")
    parser.add_argument("--starttls", action="store_true", help="upgrade the connection to TLS")
    parser.add_argument("--smtps", action="store_true", help="connect over TLS (port 465)")
    parser.add_argument("--cafile", help="CA certificates to trust instead of the system's")
    parser.add_argument("--smtp-user", default="", help="login ($SPM_SMTP_PASSWORD: password)")
    parser.add_argument("--sender", required=True, help="the From address")
    parser.add_argument("--dry-run", action="store_true", help="print, do not send")
    args = parser.parse_args(argv)
    recipients = yaml.safe_load(Path(args.recipients).read_text(encoding="utf-8")) or {}
    sent = send_packs(
        Path(args.out),
        args.period,
        recipients,
        args.sender,
        args.smtp,
        args.starttls,
        args.smtp_user,
        args.dry_run,
        args.smtps,
        args.cafile,
    )
    print(f"{len(sent)} packs {'to send' if args.dry_run else 'sent'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
