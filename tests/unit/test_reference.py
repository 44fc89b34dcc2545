"""Image reference parsing and normalisation, checked against the cases of
distribution/reference's own tests (reference_test.go, normalize_test.go):
what Docker accepts, what it refuses, and how it spells the result."""

from __future__ import annotations

import pytest

from hullbox.errors import InvalidReference
from hullbox.oci.reference import is_image_id, parse

HEX64 = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"
SHA256 = "sha256:" + "f" * 64
SHA512 = "sha512:" + "f" * 128

# input -> (domain, path, tag, digest) after normalisation (tag defaults to latest)
VALID = [
    ("busybox", "docker.io", "library/busybox", "latest", None),
    ("library/debian", "docker.io", "library/debian", "latest", None),
    ("docker/docker", "docker.io", "docker/docker", "latest", None),
    ("docker.io/debian", "docker.io", "library/debian", "latest", None),
    ("docker.io/library/debian", "docker.io", "library/debian", "latest", None),
    ("index.docker.io/debian", "docker.io", "library/debian", "latest", None),
    ("index.docker.io/docker/docker", "docker.io", "docker/docker", "latest", None),
    ("docker.io/library/foo/bar", "docker.io", "library/foo/bar", "latest", None),
    ("store/foo/bar", "docker.io", "store/foo/bar", "latest", None),
    ("127.0.0.1:5000/docker/docker", "127.0.0.1:5000", "docker/docker", "latest", None),
    ("127.0.0.1:5000/debian", "127.0.0.1:5000", "debian", "latest", None),
    # a dotted first component with no slash after it is a repository, not a host
    ("192.168.0.1", "docker.io", "library/192.168.0.1", "latest", None),
    ("192.168.0.1:80", "docker.io", "library/192.168.0.1", "80", None),
    ("192.168.0.1:8/debian", "192.168.0.1:8", "debian", "latest", None),
    ("test.com:5000", "docker.io", "library/test.com", "5000", None),
    ("test.com:tag", "docker.io", "library/test.com", "tag", None),
    ("foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080", None),
    ("test_com/foo", "docker.io", "test_com/foo", "latest", None),
    ("test:5000/repo", "test:5000", "repo", "latest", None),
    ("test-com:8080/foo", "test-com:8080", "foo", "latest", None),
    ("test:5000/repo:tag", "test:5000", "repo", "tag", None),
    ("test:5000/repo@" + SHA256, "test:5000", "repo", None, SHA256),
    ("test:5000/repo:tag@" + SHA256, "test:5000", "repo", "tag", SHA256),
    ("localhost/app", "localhost", "app", "latest", None),
    ("localhost:5000/app:1.0", "localhost:5000", "app", "1.0", None),
    ("lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", None),
    (
        "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
        "sub-dom1.foo.com",
        "bar/baz/quux",
        "some-long-tag",
        None,
    ),
    (
        "b.gcr.io/test.example.com/my-app:test.example.com",
        "b.gcr.io",
        "test.example.com/my-app",
        "test.example.com",
        None,
    ),
    ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", "latest", None),
    (
        "xn--7o8h.com/myimage:xn--7o8h.com@" + SHA512,
        "xn--7o8h.com",
        "myimage",
        "xn--7o8h.com",
        SHA512,
    ),
    ("[fc00::1]:5000/docker", "[fc00::1]:5000", "docker", "latest", None),
    (
        "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
        "[fc00:1:2:3:4:5:6:7]:5000",
        "library/debian",
        "latest",
        None,
    ),
    ("[2001:db8::1]/repo", "[2001:db8::1]", "repo", "latest", None),
    ("[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo", "latest", None),
    ("[::1]:5000/repo", "[::1]:5000", "repo", "latest", None),
    # an uppercase first component can only be a registry
    ("Docker/docker", "Docker", "docker", "latest", None),
    ("DOCKER/docker", "DOCKER", "docker", "latest", None),
    (
        "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        "docker.io",
        "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        "latest",
        None,
    ),
    # 64 hex digits are a repository once a registry removes the ambiguity
    ("docker.io/" + HEX64, "docker.io", "library/" + HEX64, "latest", None),
    (HEX64[:63], "docker.io", "library/" + HEX64[:63], "latest", None),
    ("docker-rules/docker", "docker.io", "docker-rules/docker", "latest", None),
    ("docker---rules/docker", "docker.io", "docker---rules/docker", "latest", None),
    ("dock__er/docker", "docker.io", "dock__er/docker", "latest", None),
    ("d/docker", "docker.io", "d/docker", "latest", None),
    ("jess/t", "docker.io", "jess/t", "latest", None),
    (
        "a/" * 127 + "a:tag-puts-this-over-max",
        "docker.io",
        "a/" * 127 + "a",
        "tag-puts-this-over-max",
        None,
    ),
    ("busybox@" + SHA256, "docker.io", "library/busybox", None, SHA256),
]

INVALID = [
    "",
    ":justtag",
    "@" + SHA256,
    "https://github.com/docker/docker",
    "docker/Docker",
    "docker.io/docker/Docker",
    "Uppercase:tag",
    "test:5000/Uppercase/lowercase:tag",
    "-docker",
    "-docker/docker",
    "-docker.io/docker/docker",
    "docker-/docker",
    "-docker-/docker",
    "docker///docker",
    "docker.io/docker///docker",
    "____/____",
    "_docker/_docker",
    "dock..er/docker",
    "dock_.er/docker",
    "dock-.er/docker",
    "docker/",
    "aa/asdf$$^/aa",
    HEX64,
    "a/" * 128 + "a:tag",
    "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255" * 4 + "/docker",
    "[fc00::1]",
    "[fc00::1]:5000",
    "fc00::1:5000/debian",
    "[fe80::1%eth0]:5000/debian",
    "[fe80::1%@invalidzone]:5000/repo",
    "[2001:db8:3:4::192.0.2.33]:5000/debian",
    "[2001:db8::1]:tag",
    "repo@sha256:" + "f" * 34,
    "repo@sha256:" + "F" * 64,
    "validname@invaliddigest:" + "f" * 64,
    "busybox:-foo",
    "busybox:" + "a" * 129,
]

# input -> (str(ref), familiar name)
SPELLING = [
    ("busybox", "docker.io/library/busybox:latest", "busybox"),
    ("library/ubuntu", "docker.io/library/ubuntu:latest", "ubuntu"),
    ("docker.io/foo", "docker.io/library/foo:latest", "foo"),
    ("index.docker.io/fooo/bar", "docker.io/fooo/bar:latest", "fooo/bar"),
    ("other/library", "docker.io/other/library:latest", "other/library"),
    ("library/foo/bar", "docker.io/library/foo/bar:latest", "library/foo/bar"),
    (
        "127.0.0.1:8000/privatebase",
        "127.0.0.1:8000/privatebase:latest",
        "127.0.0.1:8000/privatebase",
    ),
    (
        "example.com:8000/private/moonbase",
        "example.com:8000/private/moonbase:latest",
        "example.com:8000/private/moonbase",
    ),
    ("Foo/bar", "Foo/bar:latest", "Foo/bar"),
    (
        "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
        "docker.io/library/busybox:latest@sha256:"
        "86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
        "busybox",
    ),
]


@pytest.mark.parametrize(("text", "domain", "path", "tag", "digest"), VALID)
def test_valid_references_normalise(
    text: str, domain: str, path: str, tag: str | None, digest: str | None
) -> None:
    ref = parse(text)
    assert (ref.domain, ref.path, ref.tag, ref.digest) == (domain, path, tag, digest)


@pytest.mark.parametrize("text", INVALID)
def test_invalid_references_are_refused(text: str) -> None:
    with pytest.raises(InvalidReference) as info:
        parse(text)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("text", "full", "familiar"), SPELLING)
def test_spelling(text: str, full: str, familiar: str) -> None:
    ref = parse(text)
    assert str(ref) == full
    assert ref.familiar_name == familiar


def test_familiar_reference_keeps_tag_and_digest() -> None:
    short = "busybox:latest@" + SHA256
    assert parse(short).familiar == short


def test_no_default_tag_when_asked() -> None:
    assert parse("busybox", default_tag=False).tag is None


def test_uppercase_repository_message_says_lowercase() -> None:
    with pytest.raises(InvalidReference, match="must be lowercase"):
        parse("Uppercase:tag")


def test_hex_id_message() -> None:
    with pytest.raises(InvalidReference, match="64-byte hexadecimal"):
        parse(HEX64)


def test_with_tag_drops_digest() -> None:
    ref = parse("test.com:8000/foo@" + SHA256).with_tag("TAG5")
    assert str(ref) == "test.com:8000/foo:TAG5"


def test_is_image_id() -> None:
    assert is_image_id(HEX64)
    assert is_image_id("sha256:" + HEX64)
    assert not is_image_id(HEX64[:12])
