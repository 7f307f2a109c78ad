"""The drop-in API (README: "Python API"): ConfigManager, caching, atomic writes, locks, containment."""
from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path
from typing import Any, Callable

import pytest
from codequery_gitcfg import ConfigError, ConfigManager
from codequery_gitcfg.core.errors import OutsideWorktreeError
from codequery_gitcfg.core.migrate import CURRENT_SCHEMA_VERSION
from codequery_gitcfg.store import cache

from support.repos import LEGACY_AUTO, VALID, git


def test_runtime_load_migrates_in_memory_only(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(LEGACY_AUTO))
    before = path.read_bytes()
    config = ConfigManager(path).load_config()
    assert config["processing"]["mode"] == "auto" and "auto_process" not in config
    assert path.read_bytes() == before

@pytest.fixture
def manager(repo: Path, write_config: Callable[..., Path]) -> ConfigManager:
    write_config(VALID)
    return ConfigManager(repo / ".code-query" / "config.json")

def test_load_config_validates_and_merges_defaults(manager: ConfigManager) -> None:
    config = manager.load_config()
    assert config["dataset_name"] == "project"
    assert config["processing"]["batch_size"] == 5 and config["processing"]["max_retries"] == 2
    assert config["model"] == "claude-3-5-sonnet-20240620"

def test_returned_dicts_share_nothing_with_cache_or_defaults(manager: ConfigManager) -> None:
    first = manager.load_config()
    first["processing"]["batch_size"] = 999
    first["exclude_patterns"].append("evil")
    second = manager.load_config()
    assert second["processing"]["batch_size"] == 5 and "evil" not in second["exclude_patterns"]
    assert ConfigManager.DEFAULT_CONFIG["exclude_patterns"][-1] == "coverage/*"
    raw = manager.load_raw_config()
    raw["processing"]["mode"] = "auto"
    assert ConfigManager.DEFAULT_CONFIG["processing"]["mode"] == "manual"

def test_cache_hit_costs_no_parse(manager: ConfigManager, monkeypatch: pytest.MonkeyPatch) -> None:
    manager.load_config()
    calls = []
    monkeypatch.setattr(manager, "_build", lambda raw, st: calls.append(1) or {})
    entry = cache._entries[manager.path]
    entry.racy = False  # as once the file is older than the racy window
    manager.load_config()
    assert calls == []

def test_cache_sees_same_size_in_place_rewrite_with_restored_mtime(manager: ConfigManager) -> None:
    path = Path(manager.path)
    path.write_text(json.dumps({"dataset_name": "aaaa"}))
    st = path.stat()
    assert manager.load_config()["dataset_name"] == "aaaa"
    # Same size, same inode (written in place), same timestamps: only the bytes differ.
    with open(path, "r+") as f:
        f.write(json.dumps({"dataset_name": "bbbb"}))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_ino == st.st_ino and path.stat().st_size == st.st_size
    assert manager.load_config()["dataset_name"] == "bbbb"

def test_racy_entry_compares_bytes_when_stat_cannot_tell(manager: ConfigManager) -> None:
    """A same-size rewrite within one timestamp tick on a reused inode leaves every
    stat field equal; the racy entry must still notice (git's racy-git rule)."""
    path = Path(manager.path)
    path.write_text(json.dumps({"dataset_name": "aaaa"}))
    st = os.stat(path)
    assert manager.load_config()["dataset_name"] == "aaaa"
    assert cache._entries[manager.path].racy  # just written: inside the racy window
    with open(path, "r+") as f:
        f.write(json.dumps({"dataset_name": "bbbb"}))
    assert cache.get(manager.path, st) is None  # same stat as cached, different bytes
    path.write_text(json.dumps({"dataset_name": "aaaa"}))
    assert cache.get(manager.path, st) is not None  # same bytes: a hit, no parse

def test_entry_leaves_racy_window(manager: ConfigManager, monkeypatch: pytest.MonkeyPatch) -> None:
    manager.load_config()
    monkeypatch.setattr(cache, "RACY_NS", 0)
    manager.load_config()
    assert not cache._entries[manager.path].racy

def test_cache_sees_replacement(manager: ConfigManager) -> None:
    assert manager.load_config()["processing"]["mode"] == "manual"
    manager.update_processing_mode("auto")
    assert manager.load_config()["processing"]["mode"] == "auto"
    other = ConfigManager(manager.config_path)
    assert other.load_config()["processing"]["mode"] == "auto"

def test_cache_is_thread_safe(manager: ConfigManager) -> None:
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(200):
                assert manager.load_config()["dataset_name"] == "project"
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []

def test_reads_take_no_lock(manager: ConfigManager, monkeypatch: pytest.MonkeyPatch) -> None:
    from codequery_gitcfg.store import locking

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a read took the lock")

    # Every lock, whichever module took it and under whatever name it imported hold(),
    # is made by locking._lock_for.
    monkeypatch.setattr(locking, "_lock_for", refuse)
    cache.forget(manager.path)
    manager.load_config()
    manager.load_raw_config()
    manager.validate_config_file()
    manager.migrate_file(write=False)
    with pytest.raises(AssertionError, match="took the lock"):
        manager.update_processing_mode("auto")  # the guard itself works: a write is refused

def test_lock_lives_under_git_dir_and_never_in_status(repo: Path, manager: ConfigManager) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "config")
    manager.update_processing_mode("auto")
    lock = Path(manager.lock_path)
    assert lock.is_relative_to(repo / ".git") if hasattr(lock, "is_relative_to") else str(lock).startswith(str(repo / ".git"))
    assert lock.exists()  # never deleted after use
    assert not (repo / ".code-query" / "config.json.lock").exists()
    assert git(repo, "status", "--porcelain").stdout == " M .code-query/config.json\n"

def test_lock_beside_the_file_outside_a_repository(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(VALID))
    m = ConfigManager(path)
    m.update_processing_mode("auto")
    assert m.lock_path == str(path.resolve()) + ".lock" and os.path.exists(m.lock_path)

def test_nested_lock_in_one_thread_does_not_deadlock(manager: ConfigManager) -> None:
    from codequery_gitcfg.store.locking import hold

    with hold(manager.lock_path, timeout=1):
        manager.update_processing_mode("auto")  # takes the same lock again
    assert manager.load_config()["processing"]["mode"] == "auto"

def test_update_processing_mode_validates(manager: ConfigManager) -> None:
    with pytest.raises(ConfigError, match="Invalid processing mode"):
        manager.update_processing_mode("sometimes")

def test_update_keeps_other_keys_and_formatting(manager: ConfigManager) -> None:
    path = Path(manager.path)
    path.write_text('{\n    "dataset_name": "project",\n    "exclude_patterns": ["a/*"],\n'
                    '    "processing": {\n        "mode": "manual"\n    }\n}\n')
    manager.update_processing_mode("auto")
    assert path.read_text() == ('{\n    "dataset_name": "project",\n    "exclude_patterns": ["a/*"],\n'
                                '    "processing": {\n        "mode": "auto"\n    }\n}\n')

def test_write_keeps_permission_bits(manager: ConfigManager) -> None:
    path = Path(manager.path)
    os.chmod(path, 0o640)
    manager.update_processing_mode("auto")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640

def test_new_file_gets_umask_mode(repo: Path) -> None:
    old = os.umask(0o027)
    try:
        m = ConfigManager(repo / ".code-query" / "config.json")
        assert m.create_default_config()
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(m.path).st_mode) == 0o640

def test_unchanged_write_does_not_touch_file(manager: ConfigManager) -> None:
    manager.update_processing_mode("auto")
    before = os.stat(manager.path)
    manager.update_processing_mode("auto")
    after = os.stat(manager.path)
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)

def test_no_temp_files_left(manager: ConfigManager) -> None:
    manager.update_processing_mode("auto")
    assert os.listdir(os.path.dirname(manager.path)) == ["config.json"]

def test_save_config_validates_before_writing(manager: ConfigManager) -> None:
    before = Path(manager.path).read_bytes()
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        manager.save_config({"dataset_name": "x", "processing": {"batch_size": 0}})
    assert Path(manager.path).read_bytes() == before

def test_save_config_round_trip(manager: ConfigManager) -> None:
    config = manager.load_config()
    config["processing"]["delay_seconds"] = 10
    manager.save_config(config)
    assert manager.load_config()["processing"]["delay_seconds"] == 10
    assert manager.get_processing_config()["delay_seconds"] == 10

def test_load_config_missing_and_create_if_missing(repo: Path) -> None:
    m = ConfigManager(repo / ".code-query" / "config.json")
    with pytest.raises(FileNotFoundError):
        m.load_config()
    config = m.load_config(create_if_missing=True)
    assert config["dataset_name"] == "project"  # the worktree folder's name
    on_disk = json.loads(Path(m.path).read_text())
    assert on_disk["schema_version"] == CURRENT_SCHEMA_VERSION and on_disk["processing"]["mode"] == "manual"

def test_create_default_config_makes_folder_name_valid(tmp_path: Path) -> None:
    root = tmp_path / "My Project (copy)"
    root.mkdir()
    git(root, "init", "-q")
    m = ConfigManager(root / ".code-query" / "config.json")
    assert m.create_default_config()
    assert m.load_config()["dataset_name"] == "My-Project-copy"
    assert not m.create_default_config()  # never overwrites

def test_load_raw_config(repo: Path, write_config: Callable[..., Path]) -> None:
    m = ConfigManager(repo / ".code-query" / "config.json")
    assert m.load_raw_config()["processing"]["mode"] == "manual"  # missing file: defaults
    write_config({"dataset_name": "x", "processing": {"batch_size": 0}})
    assert m.load_raw_config()["processing"]["batch_size"] == 0  # not validated

def test_validate_config_file_lists_problems(repo: Path, write_config: Callable[..., Path]) -> None:
    write_config({"dataset_name": "", "auto_process": True})
    found = ConfigManager(repo / ".code-query" / "config.json").validate_config_file()
    assert any("pending migration" in p for p in found)
    assert any("dataset_name cannot be empty" in p for p in found)
    write_config("{bad")
    found = ConfigManager(repo / ".code-query" / "config.json").validate_config_file()
    assert len(found) == 1 and "Invalid JSON in config file" in found[0]

def test_symlink_out_of_worktree_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(VALID))
    before = outside.read_bytes()
    (repo / ".code-query").mkdir()
    (repo / ".code-query" / "config.json").symlink_to(outside)
    m = ConfigManager(repo / ".code-query" / "config.json")
    with pytest.raises(OutsideWorktreeError, match="outside the worktree"):
        m.load_config()
    with pytest.raises(OutsideWorktreeError):
        m.update_processing_mode("auto")
    assert outside.read_bytes() == before

def test_symlinked_folder_out_of_worktree_is_refused(repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "config.json").write_text(json.dumps(VALID))
    (repo / ".code-query").symlink_to(elsewhere)
    with pytest.raises(OutsideWorktreeError, match="outside the worktree"):
        ConfigManager(repo / ".code-query" / "config.json").load_config()

def test_symlink_into_git_dir_is_refused(repo: Path) -> None:
    (repo / ".code-query").mkdir()
    (repo / ".code-query" / "config.json").symlink_to(repo / ".git" / "config")
    with pytest.raises(OutsideWorktreeError, match="git directory"):
        ConfigManager(repo / ".code-query" / "config.json").load_config()

def test_symlink_inside_worktree_is_followed(repo: Path, write_config: Callable[..., Path]) -> None:
    write_config(VALID, "shared/config.json")
    (repo / ".code-query").mkdir()
    (repo / ".code-query" / "config.json").symlink_to(repo / "shared" / "config.json")
    m = ConfigManager(repo / ".code-query" / "config.json")
    m.update_processing_mode("auto")
    assert (repo / ".code-query" / "config.json").is_symlink()
    assert json.loads((repo / "shared" / "config.json").read_text())["processing"]["mode"] == "auto"

@pytest.mark.parametrize("bad,needle", [
    ({"dataset_name": "x", "extra": float("nan")}, "extra: nan is not a JSON number"),
    ({"dataset_name": "x", "extra": {1, 2}}, "extra: set value"),
    ({"dataset_name": "x", "extra": {1: "a"}}, "extra: key 1 is not a string"),
    ({"dataset_name": "x\udcff"}, "dataset_name: 'x\\udcff' contains a lone surrogate"),
])
def test_save_config_refuses_what_the_file_could_not_hold(manager: ConfigManager, bad: dict, needle: str) -> None:
    before = Path(manager.path).read_bytes()
    with pytest.raises(ConfigError) as info:
        manager.save_config(bad)
    assert needle in str(info.value)
    assert Path(manager.path).read_bytes() == before

def test_deeper_values_are_copied_too(manager: ConfigManager) -> None:
    # Two copy strategies: flat containers are copied one level down; anything
    # deeper (here under an unknown key) goes through a full copy.
    Path(manager.path).write_text(json.dumps({"dataset_name": "x", "extra": {"a": {"b": [1]}}}))
    with pytest.warns(UserWarning, match="extra"):
        first = manager.load_config()
    first["extra"]["a"]["b"].append(2)
    first["processing"]["mode"] = "auto"
    second = manager.load_config()
    assert second["extra"] == {"a": {"b": [1]}} and second["processing"]["mode"] == "manual"

def test_new_file_mode_does_not_touch_the_process_umask(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Reading the umask by setting it would briefly change it for every thread.
    calls: list[int] = []
    real_umask = os.umask
    monkeypatch.setattr(os, "umask", lambda mask: calls.append(mask) or real_umask(mask))
    m = ConfigManager(repo / ".code-query" / "config.json")
    assert m.create_default_config()
    if os.path.exists("/proc/self/status"):
        assert calls == []
    mask = real_umask(0)
    real_umask(mask)
    assert stat.S_IMODE(os.stat(m.path).st_mode) == 0o666 & ~mask

def test_a_failing_directory_close_after_the_replace_is_not_a_failed_write(
        manager: ConfigManager, monkeypatch: pytest.MonkeyPatch) -> None:
    real_close = os.close

    def close(fd: int) -> None:
        is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
        real_close(fd)
        if is_dir:
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "close", close)
    manager.update_processing_mode("auto")  # the new file is in place: no error to report
    monkeypatch.undo()
    assert manager.load_config()["processing"]["mode"] == "auto"

def test_init_writes_the_schema_hint_first(in_repo: Path) -> None:
    """No address serves the schema: init writes a $schema only where a copy is (README: Editors)."""
    from codequery_gitcfg.cli.main import main

    assert main(["init"]) == 0
    data = json.loads((in_repo / ".code-query" / "config.json").read_text())
    assert list(data)[:1] == ["schema_version"] and "$schema" not in data
    assert main(["validate"]) == 0
    (in_repo / ".code-query" / "config.json").unlink()
    assert main(["init", "--schema", "schemas/config.schema.json"]) == 0
    data = json.loads((in_repo / ".code-query" / "config.json").read_text())
    assert list(data)[:2] == ["$schema", "schema_version"] and data["$schema"] == "../schemas/config.schema.json"
    assert main(["validate"]) == 0
