"""``casedesk web`` refuses a bad configuration in one line, before serving anything."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "casedesk", "--db", f"sqlite:///{db}",
                           "--as", "web", "web", *args],
                          capture_output=True, text=True, timeout=60)


def test_a_bad_zone_address_or_port_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    for args, code, words in ((["--zone", "Mars/Olympus"], 2, "time zone"),
                              (["--base-url", "ftp://x"], 2, "--base-url"),
                              (["--port", "0"], 1, "--port")):
        done = _run(*args, db=db)
        assert done.returncode == code, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and words in done.stderr
    assert not db.exists()  # refused before opening (or creating) anything


def test_casedesk_web_serves_the_form_in_spanish(tmp_path: Path) -> None:
    import time
    import urllib.request

    from tests.smtpserver import free_port

    db = tmp_path / "desk.db"
    base = [sys.executable, "-m", "casedesk", "--db", f"sqlite:///{db}"]
    subprocess.run([*base, "db", "upgrade", "--quiet"], check=True, timeout=60)
    subprocess.run([*base, "agent", "add", "web", "--name", "Web"], check=True, timeout=60,
                   capture_output=True)
    port = free_port()
    server = subprocess.Popen([*base, "--as", "web", "web", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, body = time.monotonic() + 30, ""
        while time.monotonic() < deadline and not body:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/",
                                                 headers={"Accept-Language": "es"})
                with urllib.request.urlopen(request, timeout=2) as answer:
                    body = answer.read().decode()
            except OSError:
                time.sleep(0.2)
        assert "Cuéntanos qué necesitas" in body
    finally:
        server.terminate()
        server.wait(10)
