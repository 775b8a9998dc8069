"""``apigen sim-llm``: an OpenAI-compatible chat-completions server on loopback, for tests and dry runs.

It answers generation prompts with query/answer pairs built from the prompt's tools (a share of
them deliberately flawed) and judge prompts with verdicts consistent with those flaws. It can also
misbehave on purpose: HTTP 429, HTTP 500, or a reply delayed past the client's timeout, at a rate;
and overload like a real server: with a ``capacity`` it answers 429 to a request that arrives while
that many are in flight, and a ``storm`` (seconds after the first request) refuses with 429 every
request beyond the storm's capacity (0: all of them) - to test that clients back off and recover.

Endpoints: ``POST /v1/chat/completions``, ``GET /v1/models``, ``GET /stats`` (counters, including
``requests``), ``GET /planted`` (the record of every pair produced and the flaw it carries),
``GET /prompts`` (how often each prompt, by the first 16 hex digits of its SHA-256, was answered),
``GET /log`` (every chat request: seconds since the first one, HTTP status, requests in flight).
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from apigen.sim.content import (ExampleLookup, Planted, is_judge_prompt, judge_verdict, make_pair,
                                parse_generation_prompt)
from apigen.sim.plants import PlantHistory, bucket, plant

SIM_MODEL = "apigen-sim"
REJECTED_KEY = "sim-invalid-key"  # the one key the simulator refuses (HTTP 401), to test auth failures


@dataclass(frozen=True)
class Storm:
    """From ``start_s`` to ``end_s`` after the first request, at most ``capacity`` requests in flight
    (beyond that, HTTP 429); capacity 0 refuses every request."""

    start_s: float
    end_s: float
    capacity: int = 0

    @classmethod
    def parse(cls, text: str) -> "Storm":
        """``START:END`` or ``START:END:CAPACITY`` (seconds, seconds, requests)."""
        parts = text.split(":")
        try:
            if len(parts) not in (2, 3):
                raise ValueError
            start, end = float(parts[0]), float(parts[1])
            capacity = int(parts[2]) if len(parts) == 3 else 0
        except ValueError:
            raise ValueError(f"a storm is START:END[:CAPACITY] in seconds, got {text!r}") from None
        if not 0 <= start < end or capacity < 0:
            raise ValueError(f"a storm needs 0 <= START < END and CAPACITY >= 0, got {text!r}")
        return cls(start, end, capacity)

    def limit_at(self, elapsed_s: float) -> int | None:
        return self.capacity if self.start_s <= elapsed_s < self.end_s else None


@dataclass
class SimConfig:
    seed: int = 0
    latency_ms: float = 0.0
    error_rate: float = 0.0
    flaw_rate: float = 0.0
    # Shares of pairs planted for the dedup/decontamination filters (apigen.sim.plants); 0: none.
    duplicate_rate: float = 0.0
    near_duplicate_rate: float = 0.0
    contamination_rate: float = 0.0
    # Label a clean pair that happens to repeat an earlier one (duplicate / near_duplicate) in the planted
    # log also when the three rates above are 0 (while one is on, it always is).
    label_repeats: bool = False
    delay_s: float = 30.0  # how long an injected "hang" lasts; set past the client timeout
    error_kinds: tuple[str, ...] = ("429", "500", "hang")
    capacity: int | None = None  # 429 to a request arriving while this many are in flight
    storm: Storm | None = None


@dataclass
class SimState:
    """Counters and the planted record; guarded by one lock (handlers run on many threads)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    counters: Counter = field(default_factory=Counter)
    prompts: Counter = field(default_factory=Counter)  # sha256(prompt)[:16] -> requests served
    key_hashes: set[str] = field(default_factory=set)  # sha256 of each API key presented (never the key)
    planted: list[Planted] = field(default_factory=list)
    in_flight: int = 0
    first_request: float | None = None  # time.monotonic() of the first chat request
    log: list[tuple[float, int, int]] = field(default_factory=list)  # (seconds since first, status, in flight)
    error_rng: random.Random = field(default_factory=lambda: random.Random(0))
    history: PlantHistory = field(default_factory=PlantHistory)  # clean pairs, for planted repeats


def registry_lookup() -> ExampleLookup:
    """Examples and raising arguments from the bundled registry, by tool name."""
    from api_registry.registry import Registry

    registry = Registry.bundled()

    def lookup(name: str) -> tuple[list[dict], list[dict]]:
        entry = registry.get(name)
        if entry is None:
            return [], []
        return [dict(e.arguments) for e in entry.examples], [dict(r) for r in entry.raises]
    return lookup


class SimulatedLLM:
    """The reply logic, independent of HTTP: ``reply(prompt) -> text``."""

    def __init__(self, config: SimConfig, lookup: ExampleLookup | None = None):
        self.config = config
        self.lookup = lookup or registry_lookup()
        self.state = SimState(error_rng=random.Random(f"errors:{config.seed}"))

    def reply(self, prompt: str) -> str:
        # Seeded by the prompt, not by arrival order: concurrent or resumed runs get the same replies.
        digest = hashlib.sha256(prompt.encode()).hexdigest()
        with self.state.lock:
            self.state.prompts[digest[:16]] += 1
        rng = random.Random(f"{self.config.seed}:{digest}")
        if is_judge_prompt(prompt):
            with self.state.lock:
                self.state.counters["judge_requests"] += 1
            return json.dumps(judge_verdict(prompt))
        style, count, tools = parse_generation_prompt(prompt)
        with self.state.lock:
            self.state.counters["generation_requests"] += 1
        if not tools:
            return "I cannot generate pairs without tools."
        pairs, planted = [], []
        for _ in range(count):
            pair, record = make_pair(style, tools, rng, self.lookup, self.config.flaw_rate)
            if self._planting:
                pair, record = self._plant(style, tools, pair, record, rng)
            pairs.append(pair)
            planted.append(record)
        with self.state.lock:
            self.state.planted.extend(planted)
        body = json.dumps(pairs, ensure_ascii=False, indent=1)
        wrapping = rng.random()  # real models wrap JSON in fences or prose; the parser must cope
        if wrapping < 0.3:
            return f"```json\n{body}\n```"
        if wrapping < 0.45:
            return f"Here are {count} pairs:\n{body}\nLet me know if you need more."
        return body

    @property
    def _planting(self) -> bool:
        c = self.config
        return bool(c.label_repeats) or c.duplicate_rate > 0 or c.near_duplicate_rate > 0 or c.contamination_rate > 0

    def _plant(self, style: str, tools: list[dict], pair: dict, record: Planted,
               rng: random.Random) -> tuple[dict, Planted]:
        """At the configured shares, a planted repeat or contaminated pair instead of ``pair``; a clean
        pair is recorded in the history (labelled if it happens to repeat an earlier one)."""
        c = self.config
        draw, key = rng.random(), bucket(style, tools)
        kind = ("duplicate" if draw < c.duplicate_rate else
                "near_duplicate" if draw < c.duplicate_rate + c.near_duplicate_rate else
                "contaminated" if draw < c.duplicate_rate + c.near_duplicate_rate + c.contamination_rate else None)
        planted = plant(kind, style, tools, pair, record, self.state.history.earlier(key), rng) if kind else None
        if planted is not None:
            self.state.history.note(planted[0])
            return planted
        return pair, self.state.history.label(key, pair, record)

    def injected_error(self) -> str | None:
        """None, or one of "429", "500", "hang", at the configured rate."""
        with self.state.lock:
            draw = self.state.error_rng.random()
            kind = self.state.error_rng.choice(list(self.config.error_kinds))
        return kind if draw < self.config.error_rate else None

    def admit(self) -> tuple[float, int | None]:
        """Count a chat request in: (seconds since the first, the capacity it is refused beyond, if any)."""
        with self.state.lock:
            now = time.monotonic()
            if self.state.first_request is None:
                self.state.first_request = now
            elapsed = now - self.state.first_request
            self.state.in_flight += 1
            if self.state.in_flight > self.state.counters["peak_in_flight"]:
                self.state.counters["peak_in_flight"] = self.state.in_flight
            limits = [c for c in (self.config.capacity,
                                  self.config.storm.limit_at(elapsed) if self.config.storm else None) if c is not None]
            over = min(limits) if limits and self.state.in_flight > min(limits) else None
            return elapsed, over

    def finish(self, elapsed: float, status: int) -> None:
        with self.state.lock:
            self.state.log.append((round(elapsed, 4), status, self.state.in_flight))
            self.state.in_flight -= 1
            self.state.counters[f"status_{status}"] += 1

    def stats(self) -> dict:
        with self.state.lock:
            counts = dict(self.state.counters)
            flaws = Counter(p.flaw or "clean" for p in self.state.planted)
            first = self.state.first_request
        # the first request's CLOCK_MONOTONIC reading: a benchmark on the same machine places it on its own clock
        return {"requests": counts.get("requests", 0), **counts, "pairs": sum(flaws.values()), "planted": dict(flaws),
                "first_request_monotonic": first}


def send_json(handler: BaseHTTPRequestHandler, status: int, payload: object,
              headers: dict[str, str] | None = None) -> None:
    """Answer a request with ``payload`` as JSON (a lone surrogate goes out escaped, as a server may
    send it), with any extra ``headers``; also what the tests' loopback servers answer with."""
    body = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(body)


def _handler(sim: SimulatedLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: with Nagle's algorithm on, the body waits for the
        # client's delayed ACK (~40 ms), and every reply would take latency_ms + 40 ms.
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:  # quiet: the CLI prints its own summary
            pass

        def _send(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
            send_json(self, status, payload, headers)

        def do_GET(self) -> None:
            path = self.path.rstrip("/")
            if path == "/stats":
                self._send(200, sim.stats())
            elif path == "/prompts":
                with sim.state.lock:
                    self._send(200, dict(sim.state.prompts))
            elif path == "/log":
                with sim.state.lock:
                    self._send(200, [list(entry) for entry in sim.state.log])
            elif path == "/planted":
                with sim.state.lock:
                    self._send(200, [p.as_dict() for p in sim.state.planted])
            elif path in ("/v1/models", "/models"):
                self._send(200, {"object": "list", "data": [{"id": SIM_MODEL, "object": "model"}]})
            else:
                self._send(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            elapsed, over = sim.admit()
            status = 500
            try:
                status = self._chat(over)
            finally:
                sim.finish(elapsed, status)

        def _chat(self, over_capacity: int | None) -> int:
            """Answer one chat request; returns the HTTP status sent."""
            length = int(self.headers.get("Content-Length", 0))
            try:
                request = json.loads(self.rfile.read(length) or b"{}")
                messages = request["messages"]
            except (json.JSONDecodeError, KeyError, TypeError):
                self._send(400, {"error": {"message": "body must be JSON with 'messages'", "type": "invalid_request_error"}})
                return 400
            authorization = self.headers.get("Authorization", "")
            with sim.state.lock:
                sim.state.counters["requests"] += 1
                sim.state.key_hashes.add(hashlib.sha256(authorization.removeprefix("Bearer ").encode()).hexdigest())
            if authorization == f"Bearer {REJECTED_KEY}":
                self._send(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
                return 401
            if over_capacity is not None:
                with sim.state.lock:
                    sim.state.counters["overloaded_429"] += 1
                self._send(429, {"error": {"message": f"Rate limit reached: more than {over_capacity} requests in "
                                           "flight (simulated)", "type": "rate_limit_error"}}, {"Retry-After": "0"})
                return 429
            error = sim.injected_error()
            if error:
                with sim.state.lock:
                    sim.state.counters[f"injected_{error}"] += 1
                if error == "429":
                    self._send(429, {"error": {"message": "Rate limit reached (simulated)", "type": "rate_limit_error"}},
                               {"Retry-After": "0"})
                    return 429
                if error == "500":
                    self._send(500, {"error": {"message": "Internal error (simulated)", "type": "server_error"}})
                    return 500
                time.sleep(sim.config.delay_s)
            if sim.config.latency_ms:
                time.sleep(sim.config.latency_ms / 1000)
            prompt = "\n".join(m.get("content") or "" for m in messages if isinstance(m, dict))
            content = sim.reply(prompt)
            self._send(200, {
                "id": f"chatcmpl-sim-{sim.state.counters['requests']}", "object": "chat.completion",
                "created": int(time.time()), "model": request.get("model", SIM_MODEL),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": len(content) // 4,
                          "total_tokens": (len(prompt) + len(content)) // 4}})
            return 200

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (timeout) while an injected delay ran is expected, not an error."""
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class SimServer:
    """The HTTP server around a SimulatedLLM; ``start()`` serves from a daemon thread."""

    def __init__(self, config: SimConfig, host: str = "127.0.0.1", port: int = 0, lookup: ExampleLookup | None = None):
        self.sim = SimulatedLLM(config, lookup)
        self.httpd = _QuietServer((host, port), _handler(self.sim))
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "SimServer":
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="apigen-sim-llm", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "SimServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
