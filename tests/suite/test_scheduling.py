"""The scheduling examples: the cron line, the systemd unit and the Airflow DAG call `spm run`
with options it has; the mail example sends each audience its own pack, through a local SMTP
server on 127.0.0.1 (aiosmtpd), and nothing else."""

from __future__ import annotations

import ast
import email
import io
import re
import shlex
import socket
import zipfile

import pandas as pd
import pytest
import yaml

from spm_lib.suite.cli import build_parser
from tests.helpers import ROOT, manager_folder

EXAMPLES = ROOT / "examples" / "scheduling"


def _parses(args: list[str]) -> None:
    parsed = build_parser().parse_args(args)
    assert parsed.command == "run" and parsed.period in ("last-quarter", "last-month")


def test_the_readme_cron_line_and_the_systemd_unit_run_spm_with_real_options():
    readme = (ROOT / "README.md").read_text()
    lines = [line for line in readme.splitlines() if re.match(r"^[0-9*]+ [0-9*]+ ", line)]
    assert lines
    for line in lines:
        command = shlex.split(line.split("&&", 1)[1].split(">>")[0])
        assert command[0].endswith("spm")
        _parses(command[1:])
    unit = (EXAMPLES / "spm-reports.service").read_text()
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    command = shlex.split(exec_start.removeprefix("ExecStart="))
    assert command[0].endswith("/spm") and "--segment-by" in command
    _parses(command[1:])
    timer = (EXAMPLES / "spm-reports.timer").read_text()
    assert "OnCalendar=*-01,04,07,10-02 06:00:00" in timer and "Persistent=true" in timer


def test_the_airflow_dag_calls_spm_run_with_relative_periods():
    tree = ast.parse((EXAMPLES / "airflow_dag.py").read_text())
    found = {
        t.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    args = ast.literal_eval(found["SPM_ARGS"])
    assert args[args.index("--segment-by") + 1] == "region"
    _parses(args)
    mail = ast.literal_eval(found["MAIL_ARGS"])
    assert "--recipients" in mail and "--smtp" in mail


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """An SMTP server on 127.0.0.1 that keeps what it receives."""
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self) -> None:
            self.received: list[tuple[list[str], bytes]] = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            self.received.append((list(envelope.rcpt_tos), envelope.content))
            return "250 OK"

    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def test_each_audience_is_mailed_its_own_pack_and_nothing_else(
    by_manager, small_sample, smtp_server, tmp_path
):
    import importlib.util

    spec = importlib.util.spec_from_file_location("mail_packs", EXAMPLES / "mail_packs.py")
    mail_packs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mail_packs)
    controller, handler = smtp_server
    manager = "Gus Jensen"
    team = manager_folder(manager)
    recipients = {
        "all": ["vp@example.com"],
        team: ["gus@example.com"],
        "region-Atlantis": ["nobody@example.com"],
    }  # no such pack: skipped
    (tmp_path / "recipients.yaml").write_text(yaml.safe_dump(recipients))
    code = mail_packs.main(
        [
            "--out",
            str(by_manager),
            "--period",
            "latest",
            "--recipients",
            str(tmp_path / "recipients.yaml"),
            "--smtp",
            f"127.0.0.1:{controller.port}",
            "--sender",
            "ops@example.com",
        ]
    )
    assert code == 0
    by_rcpt = {tuple(to): email.message_from_bytes(raw) for to, raw in handler.received}
    assert set(by_rcpt) == {("vp@example.com",), ("gus@example.com",)}
    mail = by_rcpt[("gus@example.com",)]
    assert mail["Subject"] == f"Sales performance brief: manager={manager}, 2026-Q3"
    parts = {p.get_content_type(): p for p in mail.walk()}
    assert "Sales performance brief" in parts["text/html"].get_payload(decode=True).decode()
    archive = zipfile.ZipFile(io.BytesIO(parts["application/zip"].get_payload(decode=True)))
    names = archive.namelist()
    assert f"{team}/index.html" in names and f"{team}/rep_performance.html" in names
    assert all(n.startswith(f"{team}/") for n in names)
    reps = pd.read_csv(small_sample / "reps.csv")
    others = set(reps.loc[reps["manager"] != manager, "name"]) - set(
        reps.loc[reps["manager"] == manager, "name"]
    )
    content = b"".join(archive.read(n) for n in names).decode("utf-8", errors="replace")
    assert others and not [name for name in others if name in content]


def _self_signed(folder):
    """A certificate for 127.0.0.1 signed by itself (CN=evil.invalid), made by openssl."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=evil.invalid",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return key, cert


def test_the_mail_example_refuses_a_server_it_cannot_verify(by_manager, tmp_path, monkeypatch):
    """STARTTLS to a self-signed server: refused before the password or a pack is sent; the
    same server trusted with --cafile receives the packs; a password never goes in clear."""
    import importlib.util
    import ssl

    from aiosmtpd.controller import Controller

    key, cert = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    class Keep:
        def __init__(self) -> None:
            self.received: list = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            self.received.append(envelope.content)
            return "250 OK"

    handler = Keep()
    controller = Controller(
        handler, hostname="127.0.0.1", port=_free_port(), tls_context=context, require_starttls=True
    )
    controller.start()
    spec = importlib.util.spec_from_file_location("mail_packs", EXAMPLES / "mail_packs.py")
    mail_packs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mail_packs)
    (tmp_path / "recipients.yaml").write_text(yaml.safe_dump({"all": ["vp@example.com"]}))
    args = [
        "--out",
        str(by_manager),
        "--recipients",
        str(tmp_path / "recipients.yaml"),
        "--smtp",
        f"127.0.0.1:{controller.port}",
        "--sender",
        "ops@example.com",
    ]
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            mail_packs.main([*args, "--starttls"])
        assert handler.received == []
        monkeypatch.setenv("SPM_SMTP_PASSWORD", "hunter2")
        with pytest.raises(SystemExit, match="--starttls or --smtps"):
            mail_packs.main([*args, "--smtp-user", "ops"])
        assert mail_packs.main([*args, "--starttls", "--cafile", str(cert)]) == 0
        assert len(handler.received) == 1
    finally:
        controller.stop()
