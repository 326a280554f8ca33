"""The system probe, sampled on this machine; failures injected only where no real fault exists."""

from __future__ import annotations

import os

import psutil
import pytest

from agent.config import SystemSettings
from agent.probes import system


def test_it_reports_every_part_of_the_host_with_status_ok() -> None:
    result = system.collect(SystemSettings())
    assert result["status"] == "ok", result["error"]
    metrics = result["metrics"]
    assert 0.0 <= metrics["cpu_percent"] <= 100.0
    assert len(metrics["cpu_per_core_percent"]) == metrics["cpu_count"] >= 1
    assert {"load_1m", "load_5m", "load_15m", "uptime_s", "boot_time"} <= metrics.keys()
    assert metrics["memory"]["total_bytes"] > 0
    assert "used_percent" in metrics["swap"]
    assert metrics["process_count"] > 1
    assert "lo" not in metrics["network"]
    for counters in metrics["network"].values():
        assert {"errors_in", "errors_out", "drops_in", "drops_out"} <= counters.keys()
    for disk in metrics["disk_io"]:
        assert not disk.startswith(("loop", "ram"))


def test_it_reports_real_filesystems_with_space_and_inodes() -> None:
    filesystems = system.collect(SystemSettings())["metrics"]["filesystems"]
    for mountpoint, fs in filesystems.items():
        assert fs["fstype"] not in ("proc", "sysfs", "tmpfs", "squashfs")
        assert 0.0 <= fs["used_percent"] <= 100.0, mountpoint
        assert (
            fs["inodes_used"] + fs["inodes_free"] <= fs["inodes_total"] or fs["inodes_total"] == 0
        )


def test_it_leaves_out_excluded_mountpoints() -> None:
    filesystems = system.collect(SystemSettings())["metrics"]["filesystems"]
    if not filesystems:
        pytest.skip("no local filesystem visible here (overlay root)")
    first = next(iter(filesystems))
    excluded = system.collect(SystemSettings(exclude_mountpoints=(first,)))
    assert first not in excluded["metrics"]["filesystems"]


def test_it_does_df_arithmetic_on_space_and_inodes() -> None:
    # f_bsize, f_frsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_favail, f_flag, f_namemax
    usage = os.statvfs_result((4096, 4096, 1000, 300, 250, 100, 40, 40, 0, 255))
    space = system._space(usage)
    assert space["total_bytes"] == 1000 * 4096
    assert space["used_bytes"] == 700 * 4096
    assert space["free_bytes"] == 250 * 4096
    assert space["used_percent"] == round(100 * 700 / 950, 2)
    assert space["inodes_used_percent"] == 60.0


def test_it_reports_the_rest_when_one_part_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise OSError("swap table unreadable")

    monkeypatch.setattr(psutil, "swap_memory", broken)
    result = system.collect(SystemSettings())
    assert result["status"] == "warning"
    assert result["error"] == "swap: swap table unreadable"
    assert "swap" not in result["metrics"] and "memory" in result["metrics"]


def test_it_measures_cpu_since_boot_on_the_first_sample() -> None:
    overall, cores = system.CpuWindow().sample()
    assert 0.0 < overall <= 100.0
    assert len(cores) == psutil.cpu_count()


def test_it_sees_a_reboot_when_the_boot_time_moves_forward() -> None:
    events = system.detect_events({"boot_time": 1000.0}, {"boot_time": 5000.0})
    assert events == [
        {"kind": "reboot", "probe": "system", "boot_time": 5000.0, "previous_boot_time": 1000.0}
    ]


@pytest.mark.parametrize(
    "previous", [None, {}, {"boot_time": 5000.0}, {"boot_time": 4990.0}, {"boot_time": 9000.0}]
)
def test_it_sees_no_reboot_without_a_real_boot_time_change(previous: dict | None) -> None:
    assert system.detect_events(previous, {"boot_time": 5000.0}) == []


def test_it_remembers_only_the_boot_time() -> None:
    assert system.remember({"boot_time": 12.0, "cpu_percent": 5}) == {"boot_time": 12.0}
