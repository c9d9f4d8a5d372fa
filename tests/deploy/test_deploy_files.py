"""The files in deploy/ read as their tools read them (the topology test then runs them)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.topology import DEPLOY, Unit, render

NGINX_VALUES = {
    "TANDEM_SERVER_NAME": "community.example.org",
    "TANDEM_NGINX_ADDRESS": "*",
    "TANDEM_HTTP_PORT": "80",
    "TANDEM_HTTPS_PORT": "443",
    "TANDEM_TLS_CERT": "/etc/tls/fullchain.pem",
    "TANDEM_TLS_KEY": "/etc/tls/privkey.pem",
    "TANDEM_APP_A": "10.0.0.11:8001",
    "TANDEM_APP_B": "10.0.0.12:8001",
    "TANDEM_NGINX_LOG_DIR": "/var/log/nginx",
}


def test_the_test_renders_nginx_conf_exactly_as_envsubst_does() -> None:
    envsubst = shutil.which("envsubst")
    if envsubst is None:
        pytest.skip("envsubst is not installed (gettext-base)")
    template = (DEPLOY / "nginx" / "tandem.conf").read_text()
    shell_format = " ".join("${" + name + "}" for name in NGINX_VALUES)
    result = subprocess.run(
        [envsubst, shell_format],
        input=template,
        env=NGINX_VALUES,
        capture_output=True,
        text=True,
        check=True,
    )
    rendered = render(template, NGINX_VALUES)
    assert rendered == result.stdout
    # nginx's own variables are left for nginx.
    assert "$http_upgrade" in rendered
    assert "${" not in rendered.split("\n", 12)[-1]


def test_render_refuses_a_missing_value() -> None:
    template = (DEPLOY / "nginx" / "tandem.conf").read_text()
    values = {k: v for k, v in NGINX_VALUES.items() if k != "TANDEM_APP_B"}
    with pytest.raises(ValueError, match="TANDEM_APP_B"):
        render(template, values)


def test_the_app_units_command_as_systemd_would_run_it() -> None:
    unit = Unit.read(DEPLOY / "systemd" / "tandem@.service")
    assert unit.environment["TANDEM_ENVIRONMENT"] == "production"
    argv = unit.command({}, instance="8001")
    assert argv == [
        str(Path(sys.executable).parent / "tandem"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "8001",
    ]
    assert unit.command({"TANDEM_BIND": "10.0.0.11"}, instance="8002")[3:] == [
        "10.0.0.11",
        "--port",
        "8002",
    ]


def test_systemd_reads_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    for unit in (DEPLOY / "systemd").iterdir():
        name = unit.name.replace("@.", "@8001.")
        shutil.copy(unit, tmp_path / name)
    names = sorted(str(p) for p in tmp_path.iterdir())
    result = subprocess.run(
        [analyze, "verify", "--man=no", *names],
        capture_output=True,
        text=True,
        check=False,
        env={"SYSTEMD_LOG_LEVEL": "warning", "PATH": "/usr/bin:/bin"},
    )
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        # The one thing a machine without the installation lacks.
        if line.strip() and "/opt/tandem/.venv/bin/tandem is not executable" not in line
    ]
    assert problems == []
