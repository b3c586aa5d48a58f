"""The pull requests a gateway keeps open on its JetStream consumer: bookkeeping only, no I/O.

A pull request asks the consumer's leader for up to `batch` messages within `expires`; the leader sends
each one as soon as it is stored, to the request's reply subject. Fetching instead (a request, wait a
few milliseconds, a new request) cost a request per handful of messages at a live rate: most of the
receiving process's CPU, and the NATS nodes' too. Open requests cost nothing while they wait.

Each request has its own reply subject (`<inbox>.<id>`) and its own subscription to it (a stored message
keeps its own subject; the subscription it arrives on tells which request it answers), so it is counted
against that request: a message takes one off its `remaining`; a status (408 expired, 409 refused) ends
it.
A request the server lost (its node died, our connection dropped) ends with no status: it is dropped
here when neither a message nor an idle heartbeat came for it in `2 x heartbeat`, or when it is past its
expiry. Messages that still come for a dropped request are delivered all the same.
"""

from __future__ import annotations

from dataclasses import dataclass

# A request is given up this long after its heartbeats or its expiry should have come.
HEARTBEATS_MISSED = 2
GRACE_S = 1.0


@dataclass
class _Pull:
    remaining: int
    expires_at: float
    last_seen: float


class OpenPulls:
    """Requests by id; `outstanding` is how many messages they may still bring."""

    def __init__(self, expires_s: float, heartbeat_s: float):
        self.expires_s = expires_s
        self.heartbeat_s = heartbeat_s
        self._pulls: dict[str, _Pull] = {}
        self.opened = 0  # requests opened so far; the next one's id

    def __len__(self) -> int:
        return len(self._pulls)

    @property
    def outstanding(self) -> int:
        return sum(pull.remaining for pull in self._pulls.values())

    def open(self, batch: int, now: float) -> str:
        """A new request for `batch` messages; its id ends its reply subject."""
        self.opened += 1
        pull_id = str(self.opened)
        self._pulls[pull_id] = _Pull(batch, now + self.expires_s, now)
        return pull_id

    def delivered(self, pull_id: str, now: float) -> bool:
        """A message came for this request; True when that was its last."""
        pull = self._pulls.get(pull_id)
        if pull is None:
            return False  # a dropped request's message: delivered, nothing to count
        pull.remaining -= 1
        pull.last_seen = now
        if pull.remaining > 0:
            return False
        del self._pulls[pull_id]
        return True

    def heartbeat(self, pull_id: str, now: float) -> None:
        pull = self._pulls.get(pull_id)
        if pull is not None:
            pull.last_seen = now

    def ended(self, pull_id: str) -> None:
        """The server ended the request (expired, or a conflict): it brings nothing more."""
        self._pulls.pop(pull_id, None)

    def drop_stale(self, now: float) -> list[str]:
        """Drop the requests the server has lost; their ids."""
        silent_s = HEARTBEATS_MISSED * self.heartbeat_s + GRACE_S
        stale = [
            pull_id
            for pull_id, pull in self._pulls.items()
            if now - pull.last_seen > silent_s or now > pull.expires_at + GRACE_S
        ]
        for pull_id in stale:
            self.ended(pull_id)
        return stale

    def clear(self) -> list[str]:
        """Forget every request (after a reconnection: the server may have lost them all); their ids."""
        ids = list(self._pulls)
        self._pulls.clear()
        return ids
