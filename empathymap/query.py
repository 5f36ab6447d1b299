"""Query parameters the API reads strictly: a value it does not understand is a 400 naming the
parameter, never silently taken as the default."""

from rest_framework.exceptions import ValidationError

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off", "")


def bool_param(request, name: str, default: bool = False) -> bool:
    value = request.query_params.get(name)
    if value is None:
        return default
    value = value.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValidationError({name: ["Give true or false (1 or 0)."]})
