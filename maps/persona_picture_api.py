"""`PUT/DELETE /api/v1/maps/{id}/persona-picture/`: a lead sets or removes the persona picture."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from maps import persona_picture, selectors
from maps.api import ERRORS, ErrorSerializer, MapSerializer


class PersonaPictureRequestSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="A PNG, JPEG or WebP picture (judged by its bytes), at most "
        "PERSONA_PICTURE_MAX_BYTES (512 KB by default)."
    )


class TooLargeSerializer(ErrorSerializer):
    limit = serializers.IntegerField()


def too_large(limit: int) -> Response:
    return Response(
        {
            "detail": f"The picture is over the limit of {limit} bytes.",
            "code": "too_large",
            "limit": limit,
        },
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


class PersonaPictureView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": PersonaPictureRequestSerializer},
        responses={200: MapSerializer, 413: TooLargeSerializer, **ERRORS},
        tags=["maps"],
        description="Sets the persona's picture (lead). Records `map.updated`; the map's "
        "`persona_picture` is then the picture's URL, served to members only.",
    )
    def put(self, request, map_id):
        # Who may is judged before the upload is read: a viewer or stranger learns nothing more.
        selectors.map_for_user(user=request.user, map_id=map_id, role="lead")
        limit = persona_picture.max_bytes()
        upload = request.data.get("file") if hasattr(request.data, "get") else None
        if upload is None or isinstance(upload, str) or not hasattr(upload, "read"):
            return Response(
                {"file": ["Choose a picture file (PNG, JPEG or WebP)."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if upload.size > limit:
            return too_large(limit)
        try:
            empathy_map = persona_picture.persona_picture_set(
                actor=request.user, map_id=map_id, data=upload.read(limit + 1)
            )
        except persona_picture.PictureTooLarge as error:
            return too_large(error.limit)
        return Response(selectors.map_payload(empathy_map))

    @extend_schema(
        request=None,
        responses={200: MapSerializer, **ERRORS},
        tags=["maps"],
        description="Removes the persona's picture (lead); the map shows initials again.",
    )
    def delete(self, request, map_id):
        empathy_map = persona_picture.persona_picture_remove(actor=request.user, map_id=map_id)
        return Response(selectors.map_payload(empathy_map))
