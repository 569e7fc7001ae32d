"""Channels against real servers on loopback: SMTP (plain, STARTTLS, SSL, AUTH), JSON webhooks, Apprise."""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import time

import pytest
import trustme

from service import delivery
from service.cli import main
from service.delivery import DeliveryError, Message, email, webhook
from service.notify import probe_message
from tests.conftest import write_config
from tests.receivers import smtp_server
from tests.receivers import webhook as webhook_server

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def sample(**overrides: object) -> Message:
    fields: dict[str, object] = {
        "subject": "bridgewatch digest: 1 change in 1 indicator",
        "text": "pk_it_exports_monthly 2025-01: US$437 million\n",
        "html": '<html><body><p>US$437 million</p><img src="cid:chart-x@bridgewatch"></body></html>',
        "markdown": "**bridgewatch digest**\n\n- **2025-01** new period: **US$437 million**\n",
        "payload": {"version": 1, "type": "bridgewatch.digest", "subject": "s", "events": [{"id": 1}]},
        "images": {"chart-x@bridgewatch": PNG},
    }
    fields.update(overrides)
    return Message(**fields)  # type: ignore[arg-type]


@pytest.fixture
def tls(tmp_path, monkeypatch):
    """A test CA the client trusts (through BRIDGEWATCH_SMTP_CAFILE) and a server context for 127.0.0.1."""
    ca = trustme.CA()
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    monkeypatch.setenv("BRIDGEWATCH_SMTP_CAFILE", str(cafile))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server)
    return server


# --- email -----------------------------------------------------------------------------------------


def test_email_plain_multipart_with_inline_chart_and_stable_message_id():
    with smtp_server() as box:
        url = f"mailto://127.0.0.1:{box.port}?to=a@example.org,b@example.org&from=bw@example.org"
        delivery.deliver(url, sample(), "0123abcd", timeout=5)
    assert len(box.messages) == 1
    msg = box.messages[0]
    assert msg["Message-ID"] == "<0123abcd@bridgewatch>" and msg["Subject"].startswith("bridgewatch digest")
    assert box.envelopes[0] == ("bw@example.org", ["a@example.org", "b@example.org"])
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert "US$437 million" in text.get_content() and "cid:chart-x@bridgewatch" in html.get_content()
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"] == "<chart-x@bridgewatch>"
    assert images[0].get_content() == PNG


def test_email_starttls_with_a_test_certificate(tls):
    with smtp_server(tls_context=tls, require_starttls=True) as box:
        delivery.deliver(f"mailtos://127.0.0.1:{box.port}?to=a@example.org", sample(), "tls1", timeout=5)
    assert box.messages[0]["Message-ID"] == "<tls1@bridgewatch>"


def test_email_starttls_refuses_an_untrusted_certificate(tls, monkeypatch):
    monkeypatch.delenv("BRIDGEWATCH_SMTP_CAFILE")
    with smtp_server(tls_context=tls, require_starttls=True) as box, pytest.raises(DeliveryError) as err:
        delivery.deliver(f"mailtos://127.0.0.1:{box.port}?to=a@example.org", sample(), "tls2", timeout=5)
    assert "TLS failed" in str(err.value) and not box.messages


def test_email_implicit_ssl(tls):
    with smtp_server(ssl_context=tls) as box:
        delivery.deliver(f"mailtos://127.0.0.1:{box.port}?to=a@example.org&mode=ssl", sample(), "ssl1", timeout=5)
    assert box.messages[0]["Message-ID"] == "<ssl1@bridgewatch>"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_email_auth_with_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("BRIDGEWATCH_SMTP_PASSWORD", "pa55-w0rd")
    with smtp_server(users={"bw": "pa55-w0rd"}) as box:
        delivery.deliver(f"mailto://bw@127.0.0.1:{box.port}?to=a@example.org", sample(), "auth1", timeout=5)
    assert box.logins == ["bw"] and len(box.messages) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_email_auth_refused_is_permanent_and_never_shows_the_password():
    secret = "wr0ng-s3cret"
    with smtp_server(users={"bw": "right"}) as box, pytest.raises(DeliveryError) as err:
        delivery.deliver(f"mailto://bw:{secret}@127.0.0.1:{box.port}?to=a@example.org", sample(), "auth2", timeout=5)
    assert err.value.permanent and "refused the login" in str(err.value) and secret not in str(err.value)
    assert not box.messages


def test_email_nobody_listening_is_temporary():
    from tests.receivers import free_port

    with pytest.raises(DeliveryError) as err:
        delivery.deliver(f"mailto://127.0.0.1:{free_port()}?to=a@example.org", sample(), "x", timeout=2)
    assert not err.value.permanent and "127.0.0.1" in str(err.value)


def test_email_url_without_recipient_is_a_clear_permanent_error():
    with pytest.raises(DeliveryError, match=r"no recipient .*\?to=address") as err:
        delivery.deliver("mailto://smtp.example.org", sample(), "x", timeout=2)
    assert err.value.permanent


# --- JSON webhook ----------------------------------------------------------------------------------


def test_webhook_posts_the_documented_payload_signed(monkeypatch):
    monkeypatch.setenv("BRIDGEWATCH_WEBHOOK_SECRET", "hook-secret")
    with webhook_server(secret="hook-secret") as hook:
        delivery.deliver(hook.url("/hook?+X-Team=data&channel=alerts"), sample(), "row-1", timeout=5)
    request = hook.requests[0]
    assert request.path == "/hook?channel=alerts"
    assert request.headers["Idempotency-Key"] == "row-1" and request.headers["X-Team"] == "data"
    assert request.headers["X-Bridgewatch-Event"] == "digest"
    expected = "sha256=" + hmac.new(b"hook-secret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Bridgewatch-Signature"] == expected == webhook.signature("hook-secret", request.body)
    body = request.json()
    assert body["id"] == "row-1" and body["type"] == "bridgewatch.digest" and body["events"] == [{"id": 1}]


def test_webhook_with_a_wrong_secret_is_refused_permanently(monkeypatch):
    monkeypatch.setenv("BRIDGEWATCH_WEBHOOK_SECRET", "not-the-one")
    with webhook_server(secret="hook-secret") as hook, pytest.raises(DeliveryError) as err:
        delivery.deliver(hook.url(), sample(), "row-2", timeout=5)
    assert err.value.permanent and "HTTP 401" in str(err.value)


def test_webhook_unsigned_without_a_secret(monkeypatch):
    monkeypatch.delenv("BRIDGEWATCH_WEBHOOK_SECRET", raising=False)
    with webhook_server() as hook:
        delivery.deliver(hook.url(), sample(), "row-3", timeout=5)
    assert "X-Bridgewatch-Signature" not in hook.requests[0].headers


def test_webhook_server_error_is_temporary_and_honours_retry_after():
    with webhook_server(fail_first=1) as hook, pytest.raises(DeliveryError) as err:
        delivery.deliver(hook.url(), sample(), "row-4", timeout=5)
    assert not err.value.permanent and err.value.retry_after == 0 and "HTTP 503" in str(err.value)


def test_webhook_that_never_answers_times_out_quickly():
    with webhook_server(hang=True) as hook:
        started = time.monotonic()
        with pytest.raises(DeliveryError, match="no answer within 0.5s") as err:
            delivery.deliver(hook.url(), sample(), "row-5", timeout=0.5)
        assert time.monotonic() - started < 5 and not err.value.permanent


def test_webhook_basic_auth_password_is_redacted_everywhere():
    with webhook_server(status=404) as hook:
        url = f"json://user:t0ps3cret@127.0.0.1:{hook.port}/hook?+X-Api-Key=abcdef123"
        with pytest.raises(DeliveryError) as err:
            delivery.deliver(url, sample(), "row-6", timeout=5)
    headers = hook.requests[0].headers
    assert headers["Authorization"].startswith("Basic ") and headers["X-Api-Key"] == "abcdef123"
    assert "t0ps3cret" not in str(err.value) and "abcdef123" not in str(err.value)
    assert "t0ps3cret" not in delivery.redact(url) and "abcdef123" not in delivery.redact(url)


# --- Apprise channels ------------------------------------------------------------------------------


def test_apprise_channel_posts_the_markdown_digest():
    with webhook_server() as hook:
        delivery.deliver(f"ntfy://127.0.0.1:{hook.port}/bridgewatch", sample(), "row-7", timeout=5)
    assert len(hook.requests) == 1
    sent = hook.requests[0].body.decode()
    assert "US$437 million" in sent and "bridgewatch" in sent


def test_apprise_failure_says_why_without_the_token():
    with webhook_server(status=500) as hook, pytest.raises(DeliveryError) as err:
        delivery.deliver(f"ntfy://bw:ntfy-s3cret-pass@127.0.0.1:{hook.port}/topic", sample(), "row-8", timeout=5)
    assert "ntfy" in str(err.value).lower() and "ntfy-s3cret-pass" not in str(err.value)


def test_unknown_scheme_is_a_permanent_error():
    with pytest.raises(DeliveryError, match="Apprise does not understand") as err:
        delivery.deliver("nosuchservice://abc", sample(), "row-9", timeout=1)
    assert err.value.permanent


@pytest.mark.parametrize(("url", "secret"), [
    ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general", "TIiajkdnlazkcOXrIdevi7FQ"),
    ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "JHMHI8qBe7bk2ZwO5U711o3dV_js"),
    ("mailtos://bw:hunter22@smtp.example.org:587?to=a@example.org", "hunter22"),
    ("json://hooks.example.org/in?token=abcdef0123&x=1", "abcdef0123"),
    ("ntfys://ntfy.sh/topic?token=tk_abcdefsecret", "tk_abcdefsecret"),
    ("json://hooks.example.org/in?+X-Api=k3y-v4lue", "k3y-v4lue"),
])
def test_redact_hides_every_kind_of_secret(url, secret):
    safe = delivery.redact(url)
    assert secret not in safe and safe.split("://")[0] == url.split("://")[0]


def test_channel_families():
    assert delivery.channel_family("mailtos://h?to=a@b") is email
    assert delivery.channel_family("jsons://h/x") is webhook
    assert delivery.channel_family("slack://a/b/c").__name__.endswith("apprise_channel")


# --- notify-test -----------------------------------------------------------------------------------


def test_notify_test_command_succeeds_and_fails_clearly(capsys, tmp_path):
    config = write_config(tmp_path, "")
    with webhook_server() as hook:
        code = main(["--config", str(config), "notify-test", hook.url()])
        out, _ = capsys.readouterr()
        assert code == 0 and "test message sent to json://127.0.0.1" in out
        assert hook.requests[0].json()["type"] == "bridgewatch.test"
        assert hook.requests[0].headers["X-Bridgewatch-Event"] == "test"
    with webhook_server(status=410) as hook:
        code = main(["--config", str(config), "notify-test", hook.url()])
    _, err = capsys.readouterr()
    assert code == 1 and "FAILED (will not work until fixed)" in err and "HTTP 410" in err
    code = main(["--config", str(config), "notify-test", "mailto://bw:pw-secret-1@127.0.0.1:9?to=a@example.org"])
    _, err = capsys.readouterr()
    assert code == 1 and "FAILED (may be temporary)" in err and "pw-secret-1" not in err


def test_probe_message_has_every_form():
    msg = probe_message("json://127.0.0.1/x")
    assert msg.subject == "bridgewatch test message" and "json://127.0.0.1/x" in msg.text
    assert msg.payload["type"] == "bridgewatch.test" and json.dumps(msg.payload)


def test_webhook_tokens_in_the_path_are_redacted() -> None:
    from service.delivery import redact, scrub_for

    url = "json://hooks.example.org/hook/s3cr3tT0kenValue"
    assert redact(url) == "json://hooks.example.org/hook/***"
    assert "s3cr3tT0kenValue" not in scrub_for(f"POST {url} failed: 403 for s3cr3tT0kenValue", url)
    assert redact("json://127.0.0.1:9000/hook") == "json://127.0.0.1:9000/hook"


def test_smtp_password_is_never_sent_in_the_clear_to_a_remote_relay() -> None:
    from service.delivery.base import DeliveryError
    from service.delivery.email import SmtpTarget

    env = {"BRIDGEWATCH_SMTP_PASSWORD": "pw"}
    assert SmtpTarget.from_url("mailto://u@smtp.example.org:587?to=a@x.org", env).mode == "starttls"
    assert SmtpTarget.from_url("mailto://u@smtp.example.org:465?to=a@x.org", env).mode == "ssl"
    with pytest.raises(DeliveryError, match="unencrypted"):
        SmtpTarget.from_url("mailto://u@smtp.example.org:25?to=a@x.org", env)
    assert SmtpTarget.from_url("mailto://u@smtp.example.org:25?to=a@x.org&mode=plain", env).mode == "plain"
    assert SmtpTarget.from_url("mailto://u@127.0.0.1:2525?to=a@x.org", env).mode == "plain"


@pytest.mark.parametrize(("url", "secret"), [
    ("json://webhook.site/0e2f4b1c-9d3a-4c55-8f1e-2b7c9a1d6e00", "0e2f4b1c-9d3a-4c55-8f1e-2b7c9a1d6e00"),
    ("jsons://hooks.example.org/T0KENabcdef123456", "T0KENabcdef123456"),
    ("json://127.0.0.1:9000/AAAA1111", "AAAA1111"),
    ("ntfy://ntfy.example.org/s3cretTopic42", "s3cretTopic42"),
    ("ntfys://ntfy.sh/alerts-k9x2m7q4", "alerts-k9x2m7q4"),
    ("ntfy://myprivatetopic77", "myprivatetopic77"),
])
def test_a_token_in_the_first_path_segment_or_an_ntfy_topic_is_masked(url, secret):
    from service.delivery import redact, scrub_for

    assert secret not in redact(url)
    assert secret not in scrub_for(f"POST {url} failed: 404 for {secret}", url)
    assert redact(url).split("://")[0].rstrip("s") == url.split("://")[0].rstrip("s")
