"""Request size limits: a request over its view's limit is refused before its body is parsed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.mailtemplates.models import MailTemplate


@pytest.mark.django_db
def test_a_template_upload_over_the_request_limit_is_refused_unread(
    demo_client, settings, monkeypatch
):
    from django.http.multipartparser import MultiPartParser

    parsed = []
    original = MultiPartParser.parse
    monkeypatch.setattr(MultiPartParser, "parse", lambda self: parsed.append(1) or original(self))
    settings.UPLOAD_MAX_REQUEST_BYTES = 1 << 20
    response = demo_client.post(
        reverse("mailtemplates:create"),
        {
            "action": "import",
            "name": "big",
            "import_file": SimpleUploadedFile("big.html", b"<p>x</p>" * (300 * 1024)),
        },
    )
    assert response.status_code == 413
    assert "at most 1.0" in response.content.decode()
    assert parsed == []  # the multipart body was never parsed
    assert not MailTemplate.objects.exists()


@pytest.mark.django_db
def test_a_template_import_file_over_5_mb_is_refused_before_it_is_read(demo_client, monkeypatch):
    from django.core.files.uploadedfile import TemporaryUploadedFile

    reads = []
    original = TemporaryUploadedFile.read

    def spy(self, *args):
        reads.append(args)
        return original(self, *args)

    monkeypatch.setattr(TemporaryUploadedFile, "read", spy, raising=False)
    response = demo_client.post(
        reverse("mailtemplates:create"),
        {
            "action": "import",
            "name": "big",
            "import_file": SimpleUploadedFile("big.html", b"<p>x</p>" * (800 * 1024)),
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "The file is larger than 5 MB" in response.content.decode()
    assert reads == []


def test_the_limits_are_set(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.UPLOAD_MAX_REQUEST_BYTES == 25 * 1024 * 1024
