"""A bad config file is refused naming its file, line and field; the example shows every key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from collector.config.oncall import EXAMPLE_PAGERS
from collector.config.settings import CollectorConfig, ConfigError, load_config
from tests.support.cli import Cli

EXAMPLE = Path(__file__).parents[3] / "config" / "collector.example.yaml"
GOOD_SECRET = "secret_key: 0123456789abcdef0123\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "collector.yaml"
    path.write_text(text)
    return path


def refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value)


def test_it_names_file_line_and_field_of_a_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_SECRET + "http:\n  host: 0.0.0.0\n  port: eighty\n")
    assert f"{path}:4: http.port: Input should be a valid integer" in refusal(path)


def test_it_names_file_line_and_key_of_an_unknown_setting(tmp_path: Path) -> None:
    path = write(
        tmp_path, GOOD_SECRET + "mail:\n  noc: noc@example.net\n  nocc: typo@example.net\n"
    )
    assert f"{path}:4: mail.nocc: Extra inputs are not permitted" in refusal(path)


def test_it_refuses_mail_addresses_that_are_not_one_address_naming_the_field(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        GOOD_SECRET + 'smtp:\n  sender: "fd@vendor.example\\r\\nBcc: attacker@evil.example"\n',
    )
    assert f"{path}:3: smtp.sender: Value error, must be one email address" in refusal(path)
    path = write(tmp_path, GOOD_SECRET + "mail:\n  noc: noc@a.example, sales@a.example\n")
    assert f"{path}:3: mail.noc: Value error, must be one email address" in refusal(path)
    path = write(tmp_path, GOOD_SECRET + "mail:\n  message_id_domain: not a domain\n")
    assert f"{path}:3: mail.message_id_domain: String should match pattern" in refusal(path)
    fine = "smtp:\n  sender: Faultdesk <fd@vendor.example>\nmail:\n  noc: NOC <noc@v.example>\n"
    assert load_config(write(tmp_path, GOOD_SECRET + fine)).mail.noc == "NOC <noc@v.example>"


def test_it_names_file_and_line_of_broken_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_SECRET + "http:\n  port: [8080\n")
    message = refusal(path)
    assert message.startswith(f"{path}: not valid YAML")
    assert "line 4" in message


def test_it_refuses_the_example_secret_naming_its_line() -> None:
    lines = EXAMPLE.read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.startswith("secret_key:"))
    assert f"{EXAMPLE}:{line}: secret_key: Value error, replace the example" in refusal(EXAMPLE)


def test_it_refuses_the_example_rota_naming_its_people(cli: Cli, tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace("CHANGE-ME-to-a-long-random-string", "x" * 32)
    path = write(tmp_path, text)
    problem = refusal(path)
    assert "oncall: Value error, the example rota is still here (alice, bob, carol" in problem
    assert cli.without_config()("check-config", "--config", str(path)).code == 2


def test_it_accepts_the_example_once_the_secret_and_the_rota_are_replaced(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace("CHANGE-ME-to-a-long-random-string", "x" * 32)
    for n, pager in enumerate(sorted(EXAMPLE_PAGERS)):
        text = text.replace(
            pager, f"https://pager.vendor.net/{n}" if "://" in pager else f"{n}@sms.vendor.net"
        )
    config = load_config(write(tmp_path, text))
    assert config.database.url == "sqlite:////var/lib/faultdesk/collector.db"


def missing_keys(model: type[BaseModel], values: dict[str, Any], prefix: str = "") -> list[str]:
    missing = []
    for name, field in model.model_fields.items():
        if name not in values:
            missing.append(prefix + name)
        elif isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            missing += missing_keys(field.annotation, values[name], f"{prefix}{name}.")
    return missing


def test_it_shows_every_setting_in_the_example() -> None:
    assert missing_keys(CollectorConfig, yaml.safe_load(EXAMPLE.read_text())) == []


def test_it_exits_2_from_run_with_the_reason_on_stderr(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_SECRET + "http:\n  port: eighty\n")
    refused = cli.without_config()("run", "--config", str(path))
    assert refused.code == 2
    assert f"{path}:3: http.port: Input should be a valid integer" in refused.err


def test_it_exits_2_from_run_on_a_tier_catalogue_it_cannot_use(cli: Cli, tmp_path: Path) -> None:
    tiers = tmp_path / "tiers.yaml"
    tiers.write_text("tiers: [not, a, catalogue]\n")
    path = write(tmp_path, GOOD_SECRET + f"tiers_file: {tiers}\n")
    refused = cli.without_config()("run", "--config", str(path))
    assert refused.code == 2
    assert f"{tiers}" in refused.err


def test_it_checks_a_config_without_starting(cli: Cli, tmp_path: Path) -> None:
    check_config = cli.without_config().under("check-config", "--config")
    path = write(tmp_path, GOOD_SECRET + f"database:\n  url: sqlite:///{tmp_path}/fd.db\n")
    checked = check_config(str(path))
    assert checked.code == 0
    assert f"{path}: OK" in checked.out
    assert not (tmp_path / "fd.db").exists()
    bad = write(tmp_path, GOOD_SECRET + "inventory_file: missing.yaml\n")
    refused = check_config(str(bad))
    assert refused.code == 2
    assert "missing.yaml: cannot read" in refused.err
