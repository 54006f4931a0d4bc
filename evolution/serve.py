"""``snarc runs serve DIR``: a local web page that follows an evolution run as it goes.

The page (one HTML file, no external scripts: it works offline) polls ``/api/summary``
every two seconds and draws every evaluated architecture on the first two objectives
(coloured by generation, the current Pareto front ringed), the hypervolume (or the
best value) per generation, and a table of the front; a row shows that genome's program
text and its macro drawing. The server reads the run's SQLite store (WAL: a running
search keeps writing) and binds to 127.0.0.1 only; a genome is looked up by a hash that
is checked first, and no other file is ever served.
"""

from __future__ import annotations

import json
import re
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from .results import _value, front_rows

HASH = re.compile(r"^[0-9a-f]{8,64}$")


class RunView:
    """What the page shows, read from the run directory at each request."""

    def __init__(self, run: Path):
        from .run import Evolution

        self.evo = Evolution.resume(Path(run), progress=False, log=lambda *_: None)
        self.drawings: dict[str, bytes] = {}

    def summary(self) -> dict:
        evo = self.evo
        records = [r for r in evo.store.records() if r.ok]
        front = {r.hash for r in evo.front()}
        points = []
        if records:
            F = evo._matrix([r.hash for r in records])
            for r, f in zip(records, F, strict=True):
                values = [_value(o, float(v)) for o, v in zip(evo.objectives, f, strict=True)]
                points.append(
                    {
                        "hash": r.hash,
                        "generation": r.generation,
                        "values": values,
                        "front": r.hash in front,
                    }  # fmt: skip
                )
        cfg = evo.cfg
        last = evo.store.last_generation()
        return {
            "run": evo.out.name,
            "space": evo.space.name,
            "objectives": [{"name": o.name, "direction": o.direction} for o in evo.objectives],
            "generations": evo.store.generations(),
            "planned": cfg.generations,
            "done": last is not None and last >= cfg.generations,
            "evaluated": len(records),
            "points": points,
            "front": front_rows(evo),
        }

    def genome(self, h: str) -> dict | None:
        rec = self.evo.store.get(h)
        if rec is None:
            return None
        return {"hash": rec.hash, "text": rec.text, "measures": rec.measures,
                "generation": rec.generation, "status": rec.status}  # fmt: skip

    def drawing(self, h: str) -> bytes | None:
        if h not in self.drawings:
            rec = self.evo.store.get(h)
            if rec is None or not rec.ok:
                return None
            from ..dsl import elaborate
            from ..render import layout, to_dot

            graph = elaborate(rec.text)
            import graphviz

            self.drawings[h] = graphviz.Source(to_dot(layout(graph, "macro"))).pipe(format="svg")
        return self.drawings[h]


def _handler(view: RunView):
    page = (Path(__file__).with_name("serve_page.html")).read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet: the terminal belongs to the user
            pass

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802 - the name http.server calls
            path = self.path.split("?", 1)[0]
            try:
                if path == "/":
                    return self._send(200, page, "text/html; charset=utf-8")
                if path == "/api/summary":
                    body = json.dumps(view.summary(), allow_nan=False, default=str)
                    return self._send(200, body.encode(), "application/json")
                m = re.fullmatch(r"/api/genome/([^/]+?)(\.svg)?", path)
                if m and HASH.match(m.group(1)):
                    if m.group(2):
                        svg = view.drawing(m.group(1))
                        if svg is not None:
                            return self._send(200, svg, "image/svg+xml")
                    else:
                        g = view.genome(m.group(1))
                        if g is not None:
                            return self._send(
                                200, json.dumps(g, default=str).encode(), "application/json"
                            )
                return self._send(404, b"not found", "text/plain")
            except Exception as err:  # a request never takes the server down
                return self._send(500, f"{type(err).__name__}: {err}".encode(), "text/plain")

    return Handler


def serve(run: Path, port: int = 8765, ready=print) -> None:
    """Serve the page of the run in ``run`` on http://127.0.0.1:PORT/ until interrupted
    (``port`` 0: any free port). ``ready`` gets the URL once the server listens."""
    view = RunView(run)
    server = HTTPServer(("127.0.0.1", port), _handler(view))
    ready(f"http://127.0.0.1:{server.server_address[1]}/")
    try:
        server.serve_forever()
    finally:
        server.server_close()
        view.evo.store.close()
