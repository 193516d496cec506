"""Tier one: the pipeline ``compile()`` builds each route from, without an engine.

A stage a route does not use must be absent from its callable (not a no-op call), and the
options of ``compile()`` (request counting, ablations, the error observer) must do what
they say — or be refused.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from bolt_api import BoltAPI, CompressionConfig, no_compress
from bolt_api._pipeline import RequestCounter, pipeline
from bolt_api.engine import Needs
from bolt_api.files import ANY_FILE
from bolt_api_fakes import FakeRequest, compiled_call


def make_api() -> BoltAPI:
    api = BoltAPI(compression=CompressionConfig(minimum_size=10))

    @api.get("/plain")
    def plain() -> dict[str, int]:
        return {"a": 1}

    @api.get("/query")
    def query(q: int) -> dict[str, int]:
        return {"q": q}

    @api.get("/raw")
    @no_compress
    def raw() -> str:
        return "x" * 100

    @api.get("/awaits")
    async def awaits() -> dict[str, int]:
        await asyncio.sleep(0)
        return {"a": 1}

    @api.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    return api


def stages(api: BoltAPI, path: str, **options: Any) -> tuple[str, ...]:
    entry = next(r for r in api.routes if r.template.source == path)
    config = api.compression
    compress = None
    if config is not False:
        from bolt_api.compression import Compressor

        compress = Compressor(config or CompressionConfig()).apply
    options.setdefault("count", None)
    return pipeline(entry, compress=compress, files=ANY_FILE, **options).stages


def test_a_route_has_only_the_stages_it_uses() -> None:
    api = make_api()
    assert stages(api, "/plain") == ("run:inline", "handler", "encode", "compress")
    assert stages(api, "/query") == ("bind", "run:inline", "handler", "encode", "compress")
    assert stages(api, "/raw") == ("run:inline", "handler", "encode")
    assert stages(api, "/awaits") == ("run:loop", "handler", "encode", "compress")
    counter = RequestCounter(5, lambda: None)
    assert stages(api, "/plain", count=counter)[0] == "count"
    assert "undrive" in stages(api, "/plain", ablate={"trivial_async"})


def test_compression_off_removes_the_stage_and_its_need() -> None:
    api = make_api()
    api.compression = False
    assert "compress" not in stages(api, "/plain")
    app = api.compile()
    assert all(not spec.needs & Needs.ACCEPT_ENCODING for spec in app.routes)


def test_max_requests_counts_routes_and_misses_once() -> None:
    api = make_api()
    reached: list[int] = []
    app = api.compile(max_requests=3, on_max_requests=lambda: reached.append(1))
    assert app.not_found is None  # an engine must not answer (and so not count) misses itself
    calls = {(s.method, s.path): s.call for s in app.routes}
    calls[("GET", "/plain")](FakeRequest())
    app.fallback(FakeRequest(path="/nowhere"), None)
    assert reached == []
    calls[("HEAD", "/plain")](FakeRequest(method="HEAD"))
    assert reached == [1]
    calls[("GET", "/plain")](FakeRequest())
    assert reached == [1]  # told once
    assert api.compile().not_found is not None  # without counting, the engine may


def test_compile_refuses_options_it_cannot_honour() -> None:
    api = make_api()
    with pytest.raises(ValueError, match="unknown ablation"):
        api.compile(ablate={"zero_copy"})  # a Rust engine switch, not bolt-api's
    with pytest.raises(ValueError, match="on_max_requests"):
        api.compile(max_requests=10)
    api.max_param_length = 0
    with pytest.raises(ValueError, match="max_param_length"):
        api.compile()


def test_ablations_change_how_a_route_runs_not_what_it_answers() -> None:
    api = make_api()
    normal = {(s.method, s.path): s for s in api.compile().routes}
    ablated = {
        (s.method, s.path): s
        for s in api.compile(ablate={"compiled_encoders", "rust_params", "trivial_async"}).routes
    }
    assert normal[("GET", "/query")].params is not None
    assert ablated[("GET", "/query")].params is None
    request = FakeRequest(query={"q": "7"})
    assert normal[("GET", "/query")].call(request) == ablated[("GET", "/query")].call(request)


def test_unhandled_exceptions_reach_the_observer_of_that_compile_only() -> None:
    api = make_api()
    seen: list[BaseException] = []
    observed = {s.path: s.call for s in api.compile(on_unhandled=seen.append).routes}
    status = observed["/boom"](FakeRequest())[0]
    assert status == 500
    assert [str(e) for e in seen] == ["boom"]
    assert compiled_call(api, "GET", "/boom")(FakeRequest())[0] == 500
    assert len(seen) == 1
    observed["/query"](FakeRequest(query={"q": "x"}))  # a 422 is not unhandled
    assert len(seen) == 1


def test_max_param_length_is_the_apis() -> None:
    api = make_api()
    api.max_param_length = 2
    call = compiled_call(api, "GET", "/query")
    assert call(FakeRequest(query={"q": "12"}))[0] == 200
    status, _, body = call(FakeRequest(query={"q": "123"}))
    assert status == 422
    assert b"(max 2)" in body
    specs = next(s for s in api.compile().routes if s.path == "/query").params
    assert specs is not None
    assert {p.max_length for p in specs} == {2}


def test_the_ablate_flag_reaches_compile_or_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``bolt serve --ablate NAME`` (and runbolt's) hands NAME to ``compile()``, which
    refuses a name it does not perform instead of measuring "all on" under its label."""
    import sys
    import types

    from bolt_api.server import main

    module = types.ModuleType("ablate_target")
    module.api = make_api()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ablate_target", module)
    seen: list[dict[str, Any]] = []
    real_compile = module.api.compile

    def compile_spy(**options: Any) -> Any:
        seen.append(options)
        real_compile(**options)  # raises for a bad name
        raise KeyboardInterrupt  # a good one: stop before serving

    monkeypatch.setattr(module.api, "compile", compile_spy)
    argv = ["serve", "ablate_target:api", "--engine", "python", "--port", "0"]
    assert main([*argv, "--ablate", "rust_params", "--ablate", "trivial_async"]) == 0
    assert seen[-1]["ablate"] == ("rust_params", "trivial_async")
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--ablate", "zero_copy"])
    assert exit_info.value.code == 2
    assert "unknown ablation(s) zero_copy" in capsys.readouterr().err


def test_a_def_handler_that_may_block_runs_on_the_handler_pool() -> None:
    """Issue 12: the analysis of ``bolt_api._threads`` decides, ``@run_*`` overrides."""
    from bolt_api import Depends, run_in_thread, run_inline

    api = BoltAPI(compression=False)
    lookup: dict[int, str] = {}

    def load(n: int) -> str:
        return lookup.get(n, "")  # a method call: may block (it could be the ORM)

    def pure_dep(n: int) -> int:
        return abs(n)

    @api.get("/calls/{n}")
    def calls(n: int) -> dict[str, str]:
        return {"v": lookup.get(n, "")}

    @api.get("/pure/{n}")
    def pure(n: int) -> dict[str, Any]:
        if n < 0:
            raise ValueError("negative")
        return {"n": n, "all": sorted({n, len(str(n))}), "s": f"{n}"}

    @api.get("/dep/{n}")
    def dep(v: str = Depends(load)) -> dict[str, str]:
        return {"v": v}

    @api.get("/puredep/{n}")
    def puredep(v: int = Depends(pure_dep)) -> dict[str, int]:
        return {"v": v}

    @api.get("/forced")
    @run_in_thread
    def forced() -> dict[str, int]:
        return {}

    @api.get("/inline/{n}")
    @run_inline
    def inline(n: int) -> dict[str, str]:
        return {"v": lookup.get(n, "")}

    @api.get("/async")
    async def never_awaits() -> dict[str, str]:
        return {"v": lookup.get(1, "")}  # driven in place, as before

    run = {path: stages(api, path)[-3] for path in (r.template.source for r in api.routes)}
    assert run == {
        "/calls/{n}": "run:thread",
        "/pure/{n}": "run:inline",
        "/dep/{n}": "run:thread",
        "/puredep/{n}": "run:inline",
        "/forced": "run:thread",
        "/inline/{n}": "run:inline",
        "/async": "run:inline",
    }
    compiled = {(s.method, s.path): s for s in api.compile().routes}
    assert compiled[("GET", "/calls/{n}")].is_async
    assert compiled[("GET", "/calls/{n}")].params is None
    assert not compiled[("GET", "/pure/{n}")].is_async


def test_the_pool_size_is_a_setting_shown_in_the_banner(monkeypatch: pytest.MonkeyPatch) -> None:
    from bolt_api._threads import DEFAULT_THREADS, handler_threads
    from bolt_api.server import banner

    monkeypatch.delenv("BOLT_THREADS", raising=False)
    assert handler_threads() == DEFAULT_THREADS
    monkeypatch.setenv("BOLT_THREADS", "3")
    assert handler_threads() == 3
    assert "processes=1, threads=3, pid=" in banner("rust", "127.0.0.1", 8000)
    for bad in ("0", "-2", "many"):
        monkeypatch.setenv("BOLT_THREADS", bad)
        with pytest.raises(ValueError, match="BOLT_THREADS"):
            handler_threads()
