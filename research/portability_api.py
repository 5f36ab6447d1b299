"""REST API for maps that travel: import a JSON export as a new map, duplicate a map."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from maps.api import ERRORS, ErrorSerializer, MapDetailSerializer, valid
from maps.selectors import map_notes, map_payload
from research import portability, services


def map_with_notes(empathy_map) -> dict:
    """The new map as GET /api/v1/maps/{id}/ gives it; a new map is open, so nothing is hidden."""
    notes = map_notes(empathy_map=empathy_map)
    return {**map_payload(empathy_map), "notes": notes, "hidden": {}}


class MapImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A JSON export (GET /api/v1/maps/{id}/export/).")
    workspace = serializers.SlugField(help_text="The workspace to create the map in (slug).")


class MapImportView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Import a map from its JSON export (researcher in the workspace)",
        description=(
            "201 with a new map equal to the exported one: sections, notes (text, section, team, "
            "colour, position, review), links to the same evidence when it is in that workspace "
            "(same id, text, source title and kind), otherwise to a copy of the evidence made "
            "there with its source and segment, so statuses come out the same. A second import "
            "makes a second map; a file that is not an export gets 400 naming `file`."
        ),
        request={"multipart/form-data": MapImportSerializer},
        responses={201: MapDetailSerializer, 413: ErrorSerializer, **ERRORS},
        tags=["maps"],
    )
    def post(self, request):
        data = valid(MapImportSerializer, request)
        upload = data["file"]
        if upload.size > services.import_limit():
            raise services.ImportTooLarge(size=upload.size, limit=services.import_limit())
        exported = portability.read_export(upload)
        empathy_map = portability.map_import(
            actor=request.user, workspace_slug=data["workspace"], data=exported
        )
        return Response(map_with_notes(empathy_map), status=status.HTTP_201_CREATED)


class MapDuplicateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, help_text="Default: “… (copy)”.")
    workspace = serializers.SlugField(required=False, help_text="Default: the map's own.")
    notes = serializers.BooleanField(default=True, help_text="Copy the notes and their links.")


class MapDuplicateView(APIView):
    # JSON only: a form or multipart body gets 415 with a JSON error, as the schema says.
    parser_classes = [JSONParser]

    @extend_schema(
        summary="Duplicate a map, with or without its notes (researcher in the target)",
        request=MapDuplicateSerializer,
        responses={201: MapDetailSerializer, **ERRORS},
        tags=["maps"],
    )
    def post(self, request, map_id):
        data = valid(MapDuplicateSerializer, request)
        empathy_map = portability.map_duplicate(
            actor=request.user,
            map_id=map_id,
            title=data.get("title"),
            workspace_slug=data.get("workspace"),
            with_notes=data["notes"],
        )
        return Response(map_with_notes(empathy_map), status=status.HTTP_201_CREATED)
