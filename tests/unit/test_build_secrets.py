"""``--secret`` as docker buildx reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullbox.build.secrets import load_secret, load_secrets
from hullbox.errors import InvalidArgument


def test_file_and_env_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = tmp_path / "token"
    token.write_bytes(b"file-value")
    monkeypatch.setenv("HB_TOKEN", "env-value")
    assert load_secret(f"id=a,src={token}") == ("a", b"file-value")
    assert load_secret(f"id=a,source={token},type=file") == ("a", b"file-value")
    assert load_secret("id=b,env=HB_TOKEN") == ("b", b"env-value")
    assert load_secret("id=HB_TOKEN") == ("HB_TOKEN", b"env-value")  # a variable of that id
    assert load_secret("type=env,id=c,src=HB_TOKEN") == ("c", b"env-value")
    assert load_secrets([f"id=a,src={token}", "id=a,env=HB_TOKEN"]) == {"a": b"env-value"}


@pytest.mark.parametrize(("spec", "message"), [
    ("id=a,type=ssh", "invalid --secret 'id=a,type=ssh': type is file or env"),
    ("id=a,dst=/x", "invalid --secret 'id=a,dst=/x': unexpected 'dst=/x'; use id=NAME and "
                    "src=FILE or env=VARIABLE"),
    ("id=a,env=HB_SURELY_UNSET", "--secret id=a,env=HB_SURELY_UNSET: the environment "
                                 "variable HB_SURELY_UNSET is not set"),
    ("type=env", "invalid --secret 'type=env': an id is needed (id=NAME)"),
    ("src=/etc/hostname", "invalid --secret 'src=/etc/hostname': an id is needed (id=NAME)"),
])
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as failed:
        load_secret(spec)
    assert str(failed.value) == message
