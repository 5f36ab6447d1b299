"""OpenAPI schema post-processing: the status codes every operation can answer with (the
contract's list) are declared on every operation, so the schema says what the API does."""

ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
BODY_METHODS = ("post", "put", "patch")
COMMON_RESPONSES = {
    "400": "Invalid input (a field-error body naming the field, with `detail` and `code`), "
    "including a query value the API does not understand.",
    "401": "Not authenticated.",
    "404": "No such object, or not a member of its workspace; also a malformed path.",
    "413": "The request body is over MAX_REQUEST_BYTES.",
    "429": "Throttled, or locked out after too many failed logins.",
}


def add_common_responses(result, generator, request, public):
    for methods in result.get("paths", {}).values():
        for method, operation in methods.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for code, description in COMMON_RESPONSES.items():
                if code == "413" and method not in BODY_METHODS:
                    continue
                responses.setdefault(code, {"description": description, "content": ERROR})
    return result
