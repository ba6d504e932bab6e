"""A small asyncio HTTP/1.1 load generator (keep-alive), so the benchmark needs nothing but
Python. It runs in its own process and sends pre-built requests."""
from __future__ import annotations

import asyncio
import time


async def _exchange(reader, writer, payload: bytes) -> tuple[int, bool]:
    """Send one request, read one response. Returns (status, server wants to close)."""
    writer.write(payload)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("server closed the connection")
    status = int(status_line.split()[1])
    length, close = 0, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        key, _, value = line.decode("latin-1").partition(":")
        if key.lower() == "content-length":
            length = int(value.strip())
        elif key.lower() == "connection" and value.strip().lower() == "close":
            close = True
    if length:
        await reader.readexactly(length)
    return status, close


async def _conn_worker(host: str, port: int, requests: list[bytes], index: list[int],
                       latencies: list[float], statuses: dict, stop_at: float):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop_at:
            i = index[0]
            if i >= len(requests):
                return
            index[0] = i + 1
            for attempt in range(3):  # a closed keep-alive connection: reconnect, same request
                t0 = time.perf_counter()
                try:
                    status, close = await _exchange(reader, writer, requests[i])
                    break
                except (ConnectionError, asyncio.IncompleteReadError):
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
            else:
                statuses[-1] = statuses.get(-1, 0) + 1
                continue
            latencies.append(time.perf_counter() - t0)
            statuses[status] = statuses.get(status, 0) + 1
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


def build_request(host: str, port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}",
            "Connection: keep-alive"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def run_closed_loop(host: str, port: int, requests: list[bytes], concurrency: int,
                    seconds: float) -> dict:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    index = [0]

    async def main():
        stop_at = time.perf_counter() + seconds
        await asyncio.gather(*(
            _conn_worker(host, port, requests, index, latencies, statuses, stop_at)
            for _ in range(concurrency)))

    t0 = time.perf_counter()
    asyncio.run(main())
    elapsed = time.perf_counter() - t0
    latencies.sort()
    n = len(latencies)
    return {
        "requests": n,
        "seconds": elapsed,
        "rate": n / elapsed if elapsed else 0.0,
        "p50_ms": latencies[n // 2] * 1000 if n else None,
        "p99_ms": latencies[min(n - 1, int(n * 0.99))] * 1000 if n else None,
        "statuses": statuses,
        "sent": index[0],
    }


def run_open_loop(host: str, port: int, requests: list[bytes], offsets: list[float],
                  connections: int = 32) -> dict:
    """Send requests[i] `offsets[i]` seconds after the start, whatever the latency (an open
    loop, as Zalo posts events: the next one does not wait for the last answer), over
    `connections` keep-alive connections. Returns each request's wall-clock send time and
    status (-1: no answer after three tries)."""
    sent_at = [0.0] * len(requests)
    statuses = [0] * len(requests)

    async def post(reader, writer, i: int):
        for _ in range(3):  # a closed keep-alive connection: reconnect, same request
            sent_at[i] = time.time()
            try:
                status, close = await _exchange(reader, writer, requests[i])
            except (ConnectionError, asyncio.IncompleteReadError):
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            statuses[i] = status
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            return reader, writer
        statuses[i] = -1
        return reader, writer

    async def connection(queue: asyncio.Queue):
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while (i := await queue.get()) is not None:
                reader, writer = await post(reader, writer, i)
        finally:
            writer.close()

    async def main():
        queue: asyncio.Queue = asyncio.Queue()
        workers = [asyncio.create_task(connection(queue)) for _ in range(connections)]
        start = time.perf_counter()
        for i, offset in enumerate(offsets):
            delay = start + offset - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait(i)
        for _ in workers:
            queue.put_nowait(None)
        await asyncio.gather(*workers)

    asyncio.run(main())
    return {"sent_at": sent_at, "statuses": statuses}
