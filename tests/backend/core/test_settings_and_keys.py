import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from backend.core.config import Settings
from backend.core.keys import KeyFileError, create_key_file, load_key_file, load_or_create_key_file
from backend.main import create_app
from tests.conftest import make_settings


class TestSettings:
    def test_read_from_prefixed_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TANDEM_COMMUNITY_NAME", "Harbour Circle")
        monkeypatch.setenv("TANDEM_DATABASE_URL", "sqlite:///elsewhere.db")
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        assert settings.community_name == "Harbour Circle"
        assert settings.database_url == "sqlite:///elsewhere.db"

    def test_read_from_dotenv(self, tmp_path: Path) -> None:
        env_file = tmp_path / ".env"
        env_file.write_text("TANDEM_COMMUNITY_NAME=Garden Group\n")
        settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
        assert settings.community_name == "Garden Group"

    def test_default_name_says_nothing_about_the_community(self) -> None:
        name = Settings(_env_file=None).community_name.lower()  # type: ignore[call-arg]
        for word in ("traffick", "survivor", "victim", "exploit"):
            assert word not in name


class TestKeyFile:
    def test_created_on_first_start_with_mode_0600(self, tmp_path: Path) -> None:
        path = tmp_path / "var" / "secret.key"
        ring = load_or_create_key_file(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert len(ring.secret) >= 32
        assert load_key_file(path) == ring

    def test_too_short_refused_with_a_clear_message(self, tmp_path: Path) -> None:
        path = tmp_path / "secret.key"
        create_key_file(path)
        text = path.read_text().replace(
            path.read_text().split('"secret": "')[1].split('"')[0], "c2hvcnQ="
        )
        path.write_text(text)
        with pytest.raises(KeyFileError, match="too short"):
            load_key_file(path)

    def test_garbage_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "secret.key"
        path.write_text("hello")
        with pytest.raises(KeyFileError, match="not a Tandem key file"):
            load_key_file(path)

    @pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
    def test_unreadable_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "secret.key"
        create_key_file(path)
        path.chmod(0)
        with pytest.raises(KeyFileError, match="cannot be read"):
            load_key_file(path)

    def test_a_directory_in_its_place_is_unreadable(self, tmp_path: Path) -> None:
        path = tmp_path / "secret.key"
        path.mkdir()
        with pytest.raises(KeyFileError, match="cannot be read"):
            load_key_file(path)

    def test_app_refuses_to_start(self, tmp_path: Path, database_url: str) -> None:
        settings = make_settings(tmp_path, database_url)
        settings.secret_key_file.write_text('{"secret": "c2hvcnQ=", "master_keys": {}}')
        with pytest.raises(KeyFileError):
            create_app(settings)

    def test_cli_prints_the_reason_and_exits(self, tmp_path: Path) -> None:
        key = tmp_path / "secret.key"
        key.write_text("not a key")
        env = {
            **os.environ,
            "TANDEM_SECRET_KEY_FILE": str(key),
            "TANDEM_DATABASE_URL": f"sqlite:///{tmp_path}/t.db",
        }
        result = subprocess.run(
            [sys.executable, "-m", "backend.cli", "migrate"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 2
        assert "Tandem cannot start" in result.stderr
        assert "not a Tandem key file" in result.stderr
        assert "Traceback" not in result.stderr
