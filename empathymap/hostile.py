"""Input that no part of the app should ever see: JSON nested past any real need, strings holding
lone surrogates (they cannot be encoded, stored or rendered) or NUL characters (PostgreSQL text
cannot hold them), and bytes that are not UTF-8. Checked once at the edges (the API's JSON
parser, the request middleware, the websocket consumer) so that such input gets a 400 or an
`invalid` naming the field instead of a 500 or a 503 from deep inside."""

import json
from urllib.parse import unquote_to_bytes

# No request or message of the contract nests deeper than a few levels.
MAX_JSON_DEPTH = 32


class InputRefused(ValueError):
    """Input refused at the edge; `field` names where (None: the whole body or message)."""

    def __init__(self, detail: str, *, field: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field


def string_problem(text: str) -> str | None:
    """Why this string cannot be accepted, or None."""
    if "\x00" in text:
        return "Null characters are not allowed."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Lone surrogate characters are not allowed."
    return None


def check_json_value(value, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise InputRefused for a parsed JSON value nested past max_depth or holding a bad string.

    `field` is the top-level key under which the problem sits. Iterative, so it never recurses."""
    stack = [(value, 0, None)]
    while stack:
        item, depth, field = stack.pop()
        if depth > max_depth:
            raise InputRefused(f"JSON nested deeper than {max_depth} levels.", field=field)
        if isinstance(item, str):
            problem = string_problem(item)
            if problem:
                raise InputRefused(problem, field=field)
        elif isinstance(item, dict):
            for key, child in item.items():
                problem = string_problem(key)
                if problem:
                    raise InputRefused(f"A key: {problem[0].lower()}{problem[1:]}", field=field)
                stack.append((child, depth + 1, key if field is None else field))
        elif isinstance(item, list):
            stack.extend((child, depth + 1, field) for child in item)


def loads(text: str | bytes):
    """json.loads, refusing what check_json_value refuses and nesting Python cannot parse."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise InputRefused(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.") from None
    except ValueError:
        raise InputRefused("Send valid JSON.") from None
    check_json_value(value)
    return value


def check_form_encoded(raw: bytes | str, *, what: str = "parameter") -> None:
    """Refuse a query string or form body whose names or values are not UTF-8 or hold NUL.

    Django decodes both with errors="replace", which would store U+FFFD in their place."""
    if isinstance(raw, str):
        raw = raw.encode("latin-1", "replace")
    for pair in raw.split(b"&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition(b"=")
        name_bytes = unquote_to_bytes(raw_name.replace(b"+", b" "))
        try:
            name = name_bytes.decode("utf-8")
        except UnicodeDecodeError:
            raise InputRefused(f"A {what} name is not valid UTF-8.") from None
        problem = string_problem(name)
        if problem:
            raise InputRefused(f"A {what} name: {problem}")
        try:
            value = unquote_to_bytes(raw_value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise InputRefused("Not valid UTF-8.", field=name) from None
        problem = string_problem(value)
        if problem:
            raise InputRefused(problem, field=name)
