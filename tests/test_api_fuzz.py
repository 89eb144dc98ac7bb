"""Schema-driven fuzzing of the HTTP API (issue 13): schemathesis generates requests from the
OpenAPI schema -- valid and invalid bodies, odd strings, huge numbers -- against the app with the
article ingested and the fake model, and no response may be a 5xx."""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from rag.models import registry
from rag.models.fake import FakeChatModel
from rag.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api_schema(article_data_dir, tmp_path_factory):
    from api import create_api

    data = tmp_path_factory.mktemp("fuzz") / "data"
    shutil.copytree(article_data_dir, data)
    settings = Settings(data_dir=data, api_rate_per_minute=0, chat_model="fake")
    model = FakeChatModel(lambda msgs: "资料中没有相关信息。")
    with registry.override(model):
        yield schemathesis.openapi.from_asgi("/openapi.json", create_api(settings, ui=False))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_request_the_schema_allows_or_nearly_allows_is_a_server_error(api_schema, mode):
    """Every operation, with requests that fit the schema (positive) and that break it (negative)."""
    seen: dict[str, set[int]] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            response = case.call()
            seen.setdefault(case.operation.label, set()).add(response.status_code)
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"

        try:
            run()
        except Unsatisfiable:  # nothing to break in it (no parameters, no body): only for negative
            assert mode == GenerationMode.NEGATIVE
    assert len(seen) >= (11 if mode == GenerationMode.POSITIVE else 5), seen  # the operations were exercised
    print({k: sorted(v) for k, v in seen.items()})
