"""Chaos: channels that misbehave. A healthy source, a digest to send, and an SMTP server or webhook
that is down, failing, hanging or asking for absurd waits; then the channel behaves again."""

from __future__ import annotations

import contextlib
import time
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from tests.chaos.harness import Site, World, assert_ok, judge, ok
from tests.chaos.servers import HttpServer
from tests.chaos.test_sources import BODY, article_control, page_source
from tests.receivers import Webhook, free_port


@pytest.fixture
def site():
    srv = Site()
    srv.set("/article", ok(BODY))
    yield srv
    srv.close()


@contextlib.contextmanager
def smtp_on(port: int):
    messages = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
            messages.append(message_from_bytes(envelope.original_content or envelope.content, policy=policy.default))
            return "250 Message accepted for delivery"

    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield messages
    finally:
        controller.stop()


def test_smtp_down_then_up(tmp_path, tmp_path_factory, site):
    expected = article_control(tmp_path_factory)
    port = free_port()
    started = time.monotonic()
    world = World(tmp_path, page_source(site.url("/article")),
                  channels=[f"mailto://127.0.0.1:{port}?to=analyst@example.org"])
    try:
        first = world.refresh()
        assert first.code == 0 and "FAILED (will retry)" in first.out, first.out
        assert world.query("SELECT status FROM outbox") == [("pending",)]
        with smtp_on(port) as messages:
            world.refresh()
            world.refresh()  # nothing new, nothing due: nothing sent again
        ids = [m["Message-ID"] for m in messages]
        verdict = judge(world, "SMTP server down, then up", "delivery",
                        "the digest waits in the outbox (pending, backoff); sent once when the server is back",
                        expected, started=started, check_alerts=False,
                        notes=[f"{len(messages)} email(s) received, {len(set(ids))} distinct Message-ID"])
        verdict.digests_delivered = len(set(ids))
        verdict.duplicate_deliveries = len(ids) - len(set(ids))
        assert len(messages) == 1 and verdict.unsent_digests == 0
        assert_ok(verdict, world)
    finally:
        world.close()


def test_webhook_500_then_200(tmp_path, tmp_path_factory, site):
    expected = article_control(tmp_path_factory)
    hook = Webhook(status=500)
    started = time.monotonic()
    world = World(tmp_path, page_source(site.url("/article")), hook=hook)
    try:
        world.refresh()
        assert world.query("SELECT status FROM outbox") == [("pending",)]
        hook.status = 200
        world.refresh()
        world.refresh()
        verdict = judge(world, "webhook 500, then 200", "delivery",
                        "retried at the next run with the same Idempotency-Key; accepted once", expected,
                        started=started, refused=1,
                        notes=["the attempt answered 500 was refused by the receiver: no delivery"])
        # the 500 was answered, so it was not a delivery: one accepted digest
        accepted = [r for r in hook.requests[1:]]
        assert len(accepted) == 1 and accepted[0].headers["Idempotency-Key"] == hook.requests[0].headers[
            "Idempotency-Key"]
        assert_ok(verdict, world)
    finally:
        hook.close()
        world.close()


@pytest.mark.slow
def test_a_hanging_webhook(tmp_path, tmp_path_factory, site):
    expected = article_control(tmp_path_factory)
    hook = Webhook(hang=True)
    started = time.monotonic()
    world = World(tmp_path, page_source(site.url("/article")), hook=hook)
    try:
        first = world.refresh()
        assert first.seconds < 15 and world.query("SELECT status FROM outbox") == [("pending",)]
        hook.hang = False
        hook.released.set()
        world.refresh()
        verdict = judge(world, "webhook that never answers", "delivery",
                        "given up after delivery_timeout (1 s), pending; resent with the same Idempotency-Key "
                        "(the receiver may have seen it) and accepted once", expected, started=started,
                        idempotent_resends=True)
        assert verdict.resent_same_key <= 1
        assert_ok(verdict, world)
    finally:
        hook.close()
        world.close()


@pytest.mark.slow
def test_an_absurd_retry_after_from_a_webhook(tmp_path, tmp_path_factory, site):
    expected = article_control(tmp_path_factory)
    hook = HttpServer(status=503, headers={"Retry-After": "99999999999999"})
    port = free_port()
    started = time.monotonic()
    world = World(tmp_path, page_source(site.url("/article")), hook=hook,
                  channels=[hook.url("/digest"), f"mailto://127.0.0.1:{port}?to=analyst@example.org"],
                  settings="delivery_backoff_max = 1.0")
    try:
        with smtp_on(port) as messages:
            first = world.refresh()
            assert first.code == 0 and first.tracebacks == 0, first.err
            statuses = dict(world.query("SELECT substr(channel, 1, 4), status FROM outbox"))
            assert statuses == {"json": "pending", "mail": "sent"}
            time.sleep(1.1)  # the wait was capped at delivery_backoff_max
            hook.status = 200
            world.refresh()
            world.refresh()
        verdict = judge(world, "webhook Retry-After: 99999999999999 (beside an email channel)", "delivery",
                        "the wait is capped (delivery_backoff_max); the email of the same batch is recorded as "
                        "sent and never sent again; the webhook gets it on the next run", expected,
                        started=started, refused=1)
        assert len(messages) == 1
        assert_ok(verdict, world)
    finally:
        hook.close()
        world.close()
