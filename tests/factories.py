import factory
from django.contrib.auth import get_user_model

from maps.models import EmpathyMap, Membership, Note, Role, Workspace
from research.models import Evidence, EvidenceLink, Segment, Source, SourceKind, Stance
from research.status import today


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("password")


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"workspace-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.EDITOR


class MapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmpathyMap

    workspace = factory.SubFactory(WorkspaceFactory)
    title = factory.Sequence(lambda n: f"Map {n}")
    persona = "Priya, finance lead at a 40-person agency"


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Note

    map = factory.SubFactory(MapFactory)
    section = "says"
    text = factory.Sequence(lambda n: f"Note number {n}")
    position = factory.Sequence(float)


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Segment {n}")


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    workspace = factory.SubFactory(WorkspaceFactory)
    kind = SourceKind.INTERVIEW
    title = factory.Sequence(lambda n: f"Source {n}")
    collected_on = factory.LazyFunction(today)


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evidence

    source = factory.SubFactory(SourceFactory)
    workspace = factory.LazyAttribute(lambda evidence: evidence.source.workspace)
    text = factory.Sequence(lambda n: f"Evidence item {n}")
    collected_on = factory.LazyAttribute(lambda evidence: evidence.source.collected_on)


class LinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvidenceLink

    note = factory.SubFactory(NoteFactory)
    evidence = factory.SubFactory(EvidenceFactory)
    stance = Stance.SUPPORTS
