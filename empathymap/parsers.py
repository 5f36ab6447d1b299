"""The API's JSON parser: DRF's, refusing what empathymap.hostile refuses with a 400."""

from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser

from empathymap.hostile import MAX_JSON_DEPTH, InputRefused, check_json_value


class CheckedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.") from None
        try:
            check_json_value(data)
        except InputRefused as refusal:
            if refusal.field is None:
                raise ParseError(refusal.detail) from None
            raise ValidationError({refusal.field: [refusal.detail]}) from None
        return data
