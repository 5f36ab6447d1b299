"""One structured log line per request, with a request id the response carries back."""

import json
import logging

import pytest
from django.test import Client

from empathymap.request_log import JSONFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db


def request_records(caplog):
    return [record for record in caplog.records if record.name == "empathymap.request"]


def test_each_request_is_logged_with_a_generated_id_that_the_response_carries(caplog):
    caplog.set_level(logging.INFO, logger="empathymap.request")
    response = Client().get("/accounts/login/")
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    (record,) = request_records(caplog)
    assert (record.method, record.path, record.status) == ("GET", "/accounts/login/", 200)
    assert record.request_id == request_id
    assert record.duration_ms >= 0


def test_a_sane_incoming_request_id_is_kept_and_an_odd_one_replaced(caplog):
    caplog.set_level(logging.INFO, logger="empathymap.request")
    kept = Client().get("/accounts/login/", HTTP_X_REQUEST_ID="lb-1234.abc")
    assert kept["X-Request-ID"] == "lb-1234.abc"
    odd = Client().get("/accounts/login/", HTTP_X_REQUEST_ID="<script>" + "x" * 200)
    assert odd["X-Request-ID"] != "<script>" + "x" * 200
    assert len(odd["X-Request-ID"]) == 32


def test_log_lines_inside_a_request_carry_its_id(caplog, alice, api):
    caplog.set_level(logging.INFO)
    for handler in [caplog.handler]:
        handler.addFilter(RequestIdFilter())
    client = Client()
    client.force_login(alice)
    response = client.get("/api/v1/maps/abc/", HTTP_X_REQUEST_ID="trace-7")
    assert response.status_code == 404
    ids = {record.request_id for record in caplog.records if record.name == "django.request"}
    assert ids == {"trace-7"}
    assert request_records(caplog)[0].request_id == "trace-7"


def test_the_json_formatter_writes_one_object_with_the_extra_fields():
    record = logging.LogRecord("empathymap.request", logging.INFO, "", 0, "GET %s", ("/",), None)
    record.status = 200
    record.request_id = "abc"
    line = JSONFormatter().format(record)
    entry = json.loads(line)
    assert entry["message"] == "GET /"
    assert entry["status"] == 200
    assert entry["request_id"] == "abc"
    assert entry["level"] == "INFO"
    assert "\n" not in line
