"""A closed-loop load generator: C clients, each on its own keep-alive session, sending N requests in all."""
from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import requests


@dataclass(frozen=True)
class LoadResult:
    """Throughput, latency percentiles (ms) and failures of one run."""

    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        """Requests per second over the whole run."""
        return self.requests / self.seconds if self.seconds else 0.0


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``sorted_values`` lie (nearest rank)."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values)) - 1))
    return sorted_values[rank]


def summarize(latencies_s: list[float], seconds: float, errors: int) -> LoadResult:
    """A :class:`LoadResult` from per-request latencies in seconds."""
    ordered = sorted(latency * 1000 for latency in latencies_s)
    return LoadResult(len(ordered), seconds, statistics.median(ordered) if ordered else 0.0,
                      percentile(ordered, 0.95), percentile(ordered, 0.99), errors)


#: Sends the i-th request on a client's own keep-alive session; True when the answer is right.
Sender = Callable[[requests.Session, int], bool]


def drive(send: Sender, total: int, concurrency: int) -> LoadResult:
    """Send ``total`` requests from ``concurrency`` clients, each with its own session, as fast as answers come."""
    indexes = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]

    def next_index() -> Iterator[int]:
        while True:
            with lock:
                index = next(indexes, None)
            if index is None:
                return
            yield index

    def client() -> None:
        http = requests.Session()
        for index in next_index():
            started = time.perf_counter()
            try:
                answered = send(http, index)
            except Exception:  # noqa: BLE001 - any failure of one request is counted, not fatal
                answered = False
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                errors[0] += 0 if answered else 1

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return summarize(latencies, time.perf_counter() - started, errors[0])


def time_calls(call: Callable[[], object], repeat: int) -> LoadResult:
    """Run ``call`` ``repeat`` times in a row and summarize its latencies."""
    latencies = []
    started = time.perf_counter()
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - began)
    return summarize(latencies, time.perf_counter() - started, 0)
