"""The protocol's own limits."""

import pytest

from backend.realtime import rules


class TestLimits:
    def test_token_bucket(self) -> None:
        bucket = rules.TokenBucket(rate=2, burst=3, now=0.0)
        assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
        assert bucket.wait_seconds() == pytest.approx(0.5)
        assert bucket.take(0.5)
        assert not bucket.take(0.5)

    @pytest.mark.parametrize(
        ("origin", "allowed"),
        [
            (None, True),
            ("http://tandem.local:8000", True),
            ("https://tandem.local:8000", False),
            ("http://evil.example", False),
            ("https://app.example", True),
            ("null", False),
        ],
    )
    def test_origin(self, origin: str | None, allowed: bool) -> None:
        assert (
            rules.is_allowed_origin(
                origin, host="tandem.local:8000", secure=False, allowed=["https://app.example"]
            )
            is allowed
        )
