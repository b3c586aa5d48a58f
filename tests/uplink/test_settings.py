"""Broker URLs and credentials: clear errors, secrets only from the environment or a file."""

import pytest

from dms.errors import UserError
from edge.uplink.settings import MqttSettings, parse_broker_url


@pytest.mark.parametrize(
    "url, expected",
    [
        ("mqtt://broker:1884", ("broker", 1884, False)),
        ("mqtt://127.0.0.1", ("127.0.0.1", 1883, False)),
        ("mqtts://fleet.example", ("fleet.example", 8883, True)),
    ],
)
def test_broker_urls(url, expected):
    assert parse_broker_url(url) == expected


@pytest.mark.parametrize("url", ["http://x:1", "broker:1883", "mqtt://", "mqtt://h:notaport"])
def test_bad_broker_urls_are_one_clear_error(url):
    with pytest.raises(UserError, match="broker URL"):
        parse_broker_url(url)


def test_failover_addresses_are_tried_in_order_after_the_first():
    settings = MqttSettings(url="mqtt://n1:1883", failover_urls=("mqtt://n2:1884", "mqtts://n3"))
    assert settings.endpoints() == [("n1", 1883, False), ("n2", 1884, False), ("n3", 8883, True)]
    with pytest.raises(UserError, match="bad broker URL 'n4:1883'"):
        MqttSettings(url="mqtt://n1", failover_urls=("n4:1883",)).endpoints()


def test_credentials_in_the_url_are_refused():
    with pytest.raises(UserError, match="no credentials in the broker URL"):
        parse_broker_url("mqtt://van:secret@broker:1883")


def test_password_from_environment_then_file(tmp_path, monkeypatch):
    secret = tmp_path / "pw"
    secret.write_text("from-file\n")
    s = MqttSettings(username="van-1", password_env="TEST_DMS_PW", password_file=secret)
    monkeypatch.delenv("TEST_DMS_PW", raising=False)
    assert s.password() == "from-file"
    monkeypatch.setenv("TEST_DMS_PW", "from-env")
    assert s.password() == "from-env"
    assert "from-env" not in repr(s) and "from-file" not in repr(s)


def test_tls_follows_the_scheme_unless_set():
    assert MqttSettings(url="mqtts://b").endpoint()[2] is True
    assert MqttSettings(url="mqtt://b", tls={"enabled": True}).endpoint()[2] is True
