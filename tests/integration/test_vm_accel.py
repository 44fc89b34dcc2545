"""The accelerator choice against the real QEMU and the real guest kernel."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hullbox.vm.accel import detect_accel, kernel_prints_banner, kvm_modules
from hullbox.vm.kernel import guest_kernel_path


@pytest.fixture(scope="module")
def kernel() -> Path:
    if shutil.which("qemu-system-x86_64") is None:
        pytest.skip("qemu-system-x86 is not installed")
    path = guest_kernel_path()
    if not path.is_file():
        pytest.skip(f"no guest kernel at {path} (scripts/fetch-guest-kernel.sh)")
    return path


@pytest.mark.slow
def test_probe_sees_a_kernel_boot_under_tcg(kernel: Path) -> None:
    """The probe's yes is real: TCG always boots the kernel to its banner."""
    assert kernel_prints_banner(kernel, "tcg", timeout=60)


@pytest.mark.slow
def test_pvm_only_kvm_is_not_used(kernel: Path, tmp_path: Path) -> None:
    if "kvm_pvm" not in kvm_modules():
        pytest.skip("this host's KVM is not kvm_pvm")
    cache = tmp_path / "accel.json"
    accel = detect_accel(kernel, cache)
    assert accel.name == "tcg"
    assert "kvm_pvm" in accel.reason
    # The second answer comes from the cache, keyed by the kernel.
    assert detect_accel(kernel, cache) == accel
    assert cache.is_file()
