"""A folder session never loses work: one writer per folder, changes atomic in memory, the
journal replayed after a crash, a COCO file changed by someone else never overwritten."""

import json
import os
import shutil
import signal
import time

import cv2
import numpy as np
import pytest

from interactive_seg import InputError, Session

HAS_FORK = hasattr(os, "fork")


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name, shape in (("a.png", (20, 25)), ("b.png", (30, 40))):
        cv2.imwrite(str(folder / name), np.full(shape + (3,), 90, np.uint8))
    return folder


def rect(shape, y, x, h, w):
    m = np.zeros(shape, bool)
    m[y : y + h, x : x + w] = True
    return m


def journal_of(folder):
    return folder / ".annotations.coco.json.journal"


def in_child(work):
    """Run ``work(write)`` in a forked process; returns (pid, read end of the pipe it writes lines to)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            os.close(read_fd)
            work(lambda line: os.write(write_fd, (line + "\n").encode()))
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    return pid, read_fd


def read_all(fd) -> list:
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode().splitlines()


# -- one writer per folder ----------------------------------------------------------------------
def test_two_sessions_of_one_process_never_lose_an_object(folder):
    a = Session.open(folder)
    with pytest.warns(UserWarning, match="open for writing in another window"):
        b = Session.open(folder)
    assert not a.read_only and b.read_only and "open for writing in another window" in b.read_only_reason
    saved, refused = 0, 0
    for i in range(20):
        a.add("a.png", rect((20, 25), i % 10, i % 12, 3, 3), "cat")
        saved += 1
        with pytest.raises(InputError, match="open for writing in another window"):
            b.add("b.png", rect((30, 40), i, i, 4, 4), "dog")
        refused += 1
    first = a.objects("a.png")[0].id
    for call in (
        lambda: b.replace(first, category="dog"),
        lambda: b.remove(first),
        lambda: b.rename_class("cat", "lion"),
    ):
        with pytest.raises(InputError, match="open for writing in another window"):
            call()
    assert b.count("b.png") == 0 and b.objects("a.png") == []  # b shows the file as it opened it
    with pytest.raises(InputError, match="open for writing in another window"):
        Session.open(folder, mode="write")
    a.close()
    b.close()
    with Session.open(folder, mode="write") as again:  # the folder is free once the writer closed
        assert again.count("a.png") == saved == 20 and again.count("b.png") == 0 and refused == 20


def test_a_reader_sees_what_the_writer_has_not_folded_in_yet(folder):
    writer = Session.open(folder, compact_every=1000)
    kept = writer.add("a.png", rect((20, 25), 1, 1, 5, 5), "cat")
    assert not writer.path.exists() and journal_of(folder).exists()  # in the journal only
    reader = Session.open(folder, mode="read")
    assert reader.read_only and [o.id for o in reader.objects("a.png")] == [kept]
    writer.close()
    assert not journal_of(folder).exists() and json.loads(writer.path.read_text())["annotations"][0]["id"] == kept


@pytest.mark.skipif(not HAS_FORK, reason="forks a writer")
def test_two_processes_adding_twenty_objects_each_keep_all_forty_or_refuse(folder):
    def writer(name):
        def work(say):
            try:
                session = Session.open(folder, mode="write")
            except InputError as exc:
                say(f"refused {exc}")
                return
            for i in range(20):
                session.add(name, rect(session.read(name).shape[:2], i % 8, i % 9, 4, 4), "cat")
                say("ok")
            session.close()

        return work

    children = [in_child(writer(name)) for name in ("a.png", "b.png")]
    lines = []
    for pid, fd in children:
        lines += read_all(fd)
        assert os.waitpid(pid, 0)[1] == 0
    saved = lines.count("ok")
    refusals = [line for line in lines if line.startswith("refused")]
    assert all("open for writing in another window" in line for line in refusals)
    assert saved + 20 * len(refusals) == 40
    with Session.open(folder) as session:
        assert session.count("a.png") + session.count("b.png") == saved  # every acknowledged object, never fewer


@pytest.mark.skipif(not HAS_FORK, reason="forks a writer")
def test_a_killed_writer_leaves_the_folder_unlocked(folder):
    def work(say):
        Session.open(folder).add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")
        say("ready")
        time.sleep(60)

    pid, fd = in_child(work)
    assert os.read(fd, 100) == b"ready\n"
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(fd)
    with Session.open(folder, mode="write") as session:  # the OS let the lock go with the process
        assert session.count("a.png") == 1  # replayed from the journal


# -- a change that cannot be saved changes nothing ------------------------------------------------
def test_a_failed_write_leaves_the_session_exactly_as_before(folder, monkeypatch):
    session = Session.open(folder)
    kept = session.add("a.png", rect((20, 25), 0, 0, 4, 4), "cat")
    before = (json.dumps(session.document.to_data()), session.categories, [o.id for o in session.objects("a.png")])

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(InputError, match="No space left on device.*nothing was changed"):
        session.add("b.png", rect((30, 40), 5, 5, 4, 4), "new class")  # a new image record and a new class
    with pytest.raises(InputError, match="No space left on device"):
        session.remove(kept)
    with pytest.raises(InputError, match="No space left on device"):
        session.replace(kept, mask=rect((20, 25), 9, 9, 2, 2), category="dog")
    with pytest.raises(InputError, match="No space left on device"):
        session.rename_class("cat", "lion")
    with pytest.raises(InputError, match="No space left on device"):
        session.sync("b.png", rect((30, 40), 1, 1, 3, 3).astype(np.int32) * 50, {50: "bird"})
    assert (
        json.dumps(session.document.to_data()),
        session.categories,
        [o.id for o in session.objects("a.png")],
    ) == before
    assert session.count("b.png") == 0 and session.objects("a.png")[0].mask.sum() == 16
    monkeypatch.undo()
    assert session.add("b.png", rect((30, 40), 5, 5, 4, 4), "dog") == kept + 1  # ids as if nothing had been tried
    session.close()
    with Session.open(folder) as again:  # nothing that failed was applied later
        assert again.categories == {"cat": 1, "dog": 2}
        assert [(o.id, o.category) for o in again.objects("a.png")] == [(kept, "cat")]
        assert [(o.id, o.category) for o in again.objects("b.png")] == [(kept + 1, "dog")]


def test_a_torn_last_journal_record_is_ignored(folder):
    session = Session.open(folder, compact_every=1000)
    ids = [session.add("a.png", rect((20, 25), i, i, 3, 3), "cat") for i in range(3)]
    session._store.journal.close()  # as a crash would leave it: no fold into the COCO file
    session._finalizer.detach()
    session._store.lock.release()
    whole = journal_of(folder).read_bytes()
    with open(journal_of(folder), "ab") as handle:  # the start of a fourth record, cut by the crash
        handle.write(whole.splitlines(keepends=True)[-1][:40])
    with Session.open(folder) as again:
        assert [o.id for o in again.objects("a.png")] == ids
        again.add("b.png", rect((30, 40), 0, 0, 3, 3), "cat")  # appends after the last whole record
    with Session.open(folder) as again:
        assert again.count("a.png") == 3 and again.count("b.png") == 1 and not journal_of(folder).exists()


# -- folding the journal into the COCO file -------------------------------------------------------
def test_the_coco_file_is_rewritten_at_a_bounded_rate_not_on_every_change(folder):
    session = Session.open(folder, compact_every=3, compact_seconds=3600)
    session.add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")
    session.add("a.png", rect((20, 25), 5, 5, 3, 3), "cat")
    assert not session.path.exists() and session.unsaved == 2
    session.add("a.png", rect((20, 25), 9, 9, 3, 3), "cat")  # the third: folded in
    assert len(json.loads(session.path.read_text())["annotations"]) == 3 and session.unsaved == 0
    assert not journal_of(folder).exists()
    session.add("b.png", rect((30, 40), 0, 0, 3, 3), "cat")
    assert len(json.loads(session.path.read_text())["annotations"]) == 3 and session.unsaved == 1
    assert session.save() == session.path and len(json.loads(session.path.read_text())["annotations"]) == 4
    session.close()
    timed = Session.open(folder, compact_every=1000, compact_seconds=0)
    timed.add("b.png", rect((30, 40), 9, 9, 3, 3), "cat")  # "after T seconds" (T = 0)
    assert timed.unsaved == 0 and len(json.loads(timed.path.read_text())["annotations"]) == 5
    timed.close()


@pytest.mark.skipif(not HAS_FORK, reason="forks a writer")
@pytest.mark.parametrize("crash_at", ["before the rename", "after the rename"])
def test_a_crash_while_folding_the_journal_in_loses_nothing(folder, crash_at):
    from interactive_seg.model import journal, store

    def work(say):
        session = Session.open(folder, compact_every=1000)
        for i in range(3):
            session.add("a.png", rect((20, 25), i, i, 3, 3), "cat")
        if crash_at == "before the rename":
            store.write_bytes_atomic = lambda path, data: os._exit(0)
        else:
            journal.Journal.remove = lambda self: os._exit(0)
        session.save()

    pid, fd = in_child(work)
    read_all(fd)
    os.waitpid(pid, 0)
    assert journal_of(folder).exists() and b'"compact"' in journal_of(folder).read_bytes()
    with Session.open(folder) as session:
        assert [o.id for o in session.objects("a.png")] == [1, 2, 3]
    data = json.loads((folder / "annotations.coco.json").read_text())
    assert [a["id"] for a in data["annotations"]] == [1, 2, 3] and not journal_of(folder).exists()


def test_stale_temporary_files_are_removed_by_the_writer_only(folder):
    stale = [folder / ".annotations.coco.json.k2j4_x9a.tmp", folder / "..annotations.coco.json.journal.ab12cd34.tmp"]
    mine = folder / ".notes.txt.ab12cd34.tmp"  # not this tool's file
    for path in stale + [mine]:
        path.write_bytes(b"{")
    reader = Session.open(folder, mode="read")
    assert all(p.exists() for p in stale)
    reader.close()
    with Session.open(folder):
        assert not any(p.exists() for p in stale) and mine.exists()


# -- the COCO file belongs to its user ----------------------------------------------------------------
def test_a_file_changed_by_another_program_is_never_overwritten(folder):
    session = Session.open(folder, compact_every=1000)
    session.add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")
    session.save()
    kept = session.add("a.png", rect((20, 25), 5, 5, 3, 3), "cat")  # in the journal only
    theirs = {"images": [], "annotations": [], "categories": [{"id": 1, "name": "theirs"}]}
    session.path.write_text(json.dumps(theirs))  # another program saves the file
    with pytest.raises(
        InputError, match="changed by another program .* not overwritten.*kept in .*journal.*keeps both"
    ):
        session.add("a.png", rect((20, 25), 9, 9, 3, 3), "cat")
    assert [o.id for o in session.objects("a.png")] == [1, kept]  # the refused change is not kept either
    other = folder / "mine.json"
    assert session.save(other) == other and len(json.loads(other.read_text())["annotations"]) == 2
    # closing keeps both: this session's version beside the file, the journal gone, the folder opens
    with pytest.raises(InputError, match="changed by another program.*this session's version, with its 1 change"):
        session.close()
    assert json.loads(session.path.read_text()) == theirs and not journal_of(folder).exists()
    (beside,) = folder.glob("annotations.coco.this-session-*.json")
    assert [a["id"] for a in json.loads(beside.read_text())["annotations"]] == [1, kept]
    with Session.open(folder) as again:
        assert again.categories == {"theirs": 1}
    assert json.loads(session.path.read_text()) == theirs


@pytest.fixture
def ctrl_c():
    """SIGINT with Python's own handler, as in a terminal or a notebook (a job started in the
    background, as CI may start the suite, has it ignored)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_ctrl_c_while_a_change_is_saved_lets_it_finish_and_the_session_goes_on(folder, monkeypatch, ctrl_c):
    """Ctrl+C in a notebook right after a fold's rename left the session sure another
    program had changed the file (every later change refused, a spurious version written
    beside it at close); one inside the journal's removal refused every change as a full
    disk. Ctrl+C now waits for the write, then stops; the session goes on after it."""
    from interactive_seg.model import journal as jr
    from interactive_seg.model import store

    session = Session.open(folder, compact_every=1)  # every change folds
    real_write, real_remove = store.write_bytes_atomic, jr.Journal.remove

    def write_then_ctrl_c(*args, **kwargs):
        out = real_write(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl+C just after the rename
        return out

    monkeypatch.setattr(store, "write_bytes_atomic", write_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        first = session.add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")
    monkeypatch.setattr(store, "write_bytes_atomic", real_write)

    def interrupted_removal(journal):  # an interrupt that is no Ctrl+C, halfway through
        journal.changes = 0
        journal.close()
        raise KeyboardInterrupt

    monkeypatch.setattr(jr.Journal, "remove", interrupted_removal)
    time.sleep(0.3)  # folds are spaced by their own length
    with pytest.raises(KeyboardInterrupt):
        session.add("a.png", rect((20, 25), 5, 5, 3, 3), "cat")
    monkeypatch.setattr(jr.Journal, "remove", real_remove)
    session.add("a.png", rect((20, 25), 10, 10, 3, 3), "cat")  # goes on
    first = session.objects("a.png")
    session.close()
    assert not list(folder.glob("annotations.coco.this-session-*")) and not journal_of(folder).exists()
    with Session.open(folder) as again:
        assert [o.id for o in again.objects("a.png")] == [o.id for o in first] and len(first) == 3


def test_a_signal_in_the_middle_of_a_change_waits_for_it(folder, monkeypatch, ctrl_c):
    """Ctrl+C (or a SIGALRM timeout's exception) while a change was half made in memory: its
    rollback failed (KeyError), every later call too, and the lock stayed held. Such signals
    now wait for the change; the session goes on, and what it holds is what reopening finds."""
    from interactive_seg.coco.document import CocoDocument

    real = CocoDocument.add_annotation

    def halfway(doc, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl+C as the record goes in
        return real(doc, *args, **kwargs)

    def timed_out(number, frame):
        raise TimeoutError("a timeout of the caller's")

    session = Session.open(folder)
    monkeypatch.setattr(CocoDocument, "add_annotation", halfway)
    with pytest.raises(KeyboardInterrupt):
        session.add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")
    previous = signal.signal(signal.SIGALRM, timed_out)
    try:
        monkeypatch.setattr(CocoDocument, "add_annotation", lambda doc, *a, **k: (os.kill(os.getpid(),
                            signal.SIGALRM), real(doc, *a, **k))[1])  # fmt: skip
        with pytest.raises(TimeoutError):
            session.add("a.png", rect((20, 25), 5, 5, 3, 3), "cat")
    finally:
        signal.signal(signal.SIGALRM, previous)
    monkeypatch.setattr(CocoDocument, "add_annotation", real)
    session.add("a.png", rect((20, 25), 10, 10, 3, 3), "cat")
    held = [o.id for o in session.objects("a.png")]
    session.close()
    with Session.open(folder) as again:
        assert [o.id for o in again.objects("a.png")] == held and len(held) == 3


def test_another_programs_version_is_hashed_once_by_the_idle_checks(folder, monkeypatch):
    """A window asks every few seconds whether the journal is due to fold; while another
    program's version keeps it from folding, that version is read once, not at every check."""
    from interactive_seg.model import journal as jr

    session = Session.open(folder, compact_every=1000, compact_seconds=3600)
    session.add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")
    session.save()
    original = session.path.read_bytes()
    session.add("a.png", rect((20, 25), 5, 5, 3, 3), "cat")  # in the journal only
    session._store.compact_seconds = 0  # a fold is due from now on
    session._store._last_fold = (time.monotonic() - 60, 0.0)  # (folds are spaced by their own length: long past)
    session.path.write_text("{}")  # another program's version
    hashed = []
    real = jr.file_digest
    monkeypatch.setattr(jr, "file_digest", lambda path: hashed.append(path) or real(path))
    for _ in range(5):
        with pytest.warns(UserWarning, match="changed by another program"):
            assert session.save(if_due=True) is False
    assert len(hashed) == 1
    session.path.write_bytes(original)  # the other program puts this session's version back
    assert session.save(if_due=True) is True
    assert len(hashed) == 2 and len(json.loads(session.path.read_text())["annotations"]) == 2
    session.close()


def test_a_journal_of_another_version_is_refused_and_set_aside_when_asked(folder):
    session = Session.open(folder, compact_every=1000)
    session.add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")
    session._store.let_go()  # a crash: the journal stays
    theirs = {"images": [], "annotations": [], "categories": [{"id": 1, "name": "theirs"}]}
    session.path.write_text(json.dumps(theirs))  # then another program writes the file
    with pytest.raises(InputError, match="unsaved change.*another version.*discard_journal=True"):
        Session.open(folder)
    assert json.loads(session.path.read_text()) == theirs
    with pytest.warns(UserWarning, match="set aside in .*applied to the file as it is now in"):
        with Session.open(folder, discard_journal=True) as again:
            assert again.categories == {"theirs": 1}
    assert (folder / ".annotations.coco.json.journal.discarded").exists()
    assert json.loads(session.path.read_text()) == theirs
    (beside,) = folder.glob("annotations.coco.this-session-*.json")  # the journal's work, readable
    kept = json.loads(beside.read_text())
    assert "cat" in [c["name"] for c in kept["categories"]] and len(kept["annotations"]) == 1


def test_a_full_disk_when_closing_a_session_whose_file_changed_keeps_the_journal_and_says_so(folder, monkeypatch):
    from interactive_seg.model import store

    session = Session.open(folder, compact_every=1000)
    session.add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")
    session.path.write_text(json.dumps({"images": [], "annotations": [], "categories": []}))

    def full(path, data, *args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "write_bytes_atomic", full)
    with pytest.raises(InputError, match="could not be saved beside it.*No space left.*stay in .*journal"):
        session.close()
    assert journal_of(folder).exists() and not list(folder.glob("*.this-session-*"))


def test_a_file_another_program_writes_while_the_session_saves_is_not_overwritten(folder, monkeypatch):
    """The file was checked before the slow part of a save (encoding and writing a large
    file), not before the rename: another program's write in that time was lost."""
    session = Session.open(folder, compact_every=1000)
    session.add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")
    theirs = json.dumps({"images": [], "annotations": [], "categories": [{"id": 1, "name": "theirs"}]})
    dumps = session._store.doc.dumps

    def slow_dumps():  # another program saves the file while this one encodes its own
        data = dumps()
        session.path.write_text(theirs)
        return data

    monkeypatch.setattr(session._store.doc, "dumps", slow_dumps)
    with pytest.raises(InputError, match="changed by another program"):
        session.save()
    assert session.path.read_text() == theirs and journal_of(folder).exists()
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    session._store.let_go()


def test_an_object_goes_under_its_own_photograph_never_a_namesakes(tmp_path):
    folder = tmp_path / "farm"
    (folder / "other").mkdir(parents=True)
    cv2.imwrite(str(folder / "sheep.jpg"), np.full((10, 12, 3), 200, np.uint8))
    cv2.imwrite(str(folder / "other" / "sheep.jpg"), np.full((10, 12, 3), 50, np.uint8))
    data = {
        "images": [{"id": 1, "file_name": "other/sheep.jpg", "width": 12, "height": 10}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "segmentation": {"size": [10, 12], "counts": [0, 20, 100]},
                "iscrowd": 0,
            }
        ],
        "categories": [{"id": 1, "name": "sheep"}],
    }
    (folder / "annotations.coco.json").write_text(json.dumps(data))
    with Session.open(folder) as session:
        assert session.images == ["other/sheep.jpg", "sheep.jpg"]
        assert session.objects("sheep.jpg") == [] and session.count("sheep.jpg") == 0
        assert [o.id for o in session.objects("other/sheep.jpg")] == [1]
        new = session.add("sheep.jpg", rect((10, 12), 2, 2, 3, 3), "sheep")
    saved = json.loads((folder / "annotations.coco.json").read_text())
    record = next(a for a in saved["annotations"] if a["id"] == new)
    image = next(i for i in saved["images"] if i["id"] == record["image_id"])
    assert image["file_name"] == "sheep.jpg" and image["id"] != 1


def test_a_session_finds_records_by_the_rule_export_uses(tmp_path):
    """detectron2's absolute file names whose base names repeat across cameras, and Label
    Studio's percent-encoded ones: export found these images, the session showed no objects
    and an accept made a second record for the same photograph (an attack pass)."""
    folder = tmp_path / "frames"
    for sub in ("cam1", "cam2"):
        (folder / sub).mkdir(parents=True)
        cv2.imwrite(str(folder / sub / "0001.png"), np.full((10, 12, 3), 90, np.uint8))
    cv2.imwrite(str(folder / "my photo.png"), np.full((10, 12, 3), 90, np.uint8))
    names = ["/datasets/mine/cam1/0001.png", "/datasets/mine/cam2/0001.png", "../../data/upload/1/my%20photo.png"]
    rle = {"size": [10, 12], "counts": [0, 20, 100]}
    data = {
        "images": [{"id": i, "file_name": n, "width": 12, "height": 10} for i, n in enumerate(names, 1)],
        "annotations": [
            {"id": i, "image_id": i, "category_id": 1, "segmentation": rle, "iscrowd": 0} for i in (1, 2, 3)
        ],
        "categories": [{"id": 1, "name": "person"}],
    }
    (folder / "annotations.coco.json").write_text(json.dumps(data))
    with Session.open(folder) as session:
        assert [[o.id for o in session.objects(n)] for n in ("cam1/0001.png", "cam2/0001.png", "my photo.png")] == [
            [1],
            [2],
            [3],
        ]
        session.add("cam2/0001.png", rect((10, 12), 5, 5, 3, 3), "person")
    saved = json.loads((folder / "annotations.coco.json").read_text())
    assert [i["file_name"] for i in saved["images"]] == names  # no second record
    assert sorted(a["image_id"] for a in saved["annotations"]) == [1, 2, 2, 3]


@pytest.mark.parametrize("written", ["sub//a.png", "./sub/./a.png", "sub/./a.png"])
def test_a_path_with_empty_or_dot_parts_is_the_image_of_that_path(tmp_path, written):
    """A record named sub//a.png (a script's join of "sub/" and "/a.png") was no image's:
    the session hid its object and an add made a second record for the photograph."""
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    cv2.imwrite(str(folder / "sub" / "a.png"), np.full((10, 12, 3), 90, np.uint8))
    rle = {"size": [10, 12], "counts": [0, 20, 100]}
    data = {
        "images": [{"id": 1, "file_name": written, "width": 12, "height": 10}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "segmentation": rle, "iscrowd": 0}],
        "categories": [{"id": 1, "name": "cat"}],
    }
    (folder / "annotations.coco.json").write_text(json.dumps(data))
    with Session.open(folder) as session:
        assert [o.id for o in session.objects("sub/a.png")] == [1]
        session.add("sub/a.png", rect((10, 12), 5, 5, 3, 3), "cat")
    saved = json.loads((folder / "annotations.coco.json").read_text())
    assert [i["file_name"] for i in saved["images"]] == [written]  # kept as written, no second record
    assert [a["image_id"] for a in saved["annotations"]] == [1, 1]


def test_records_the_rule_gives_an_image_beside_its_own_are_shown_with_it(tmp_path):
    """A URL's record (or Label Studio's local-files one) beside the record of the image's
    own path: export wrote both objects, the session showed and could delete only one
    (an attack pass). A class spelt as another category's, alike only in Unicode form, is
    that category."""
    import unicodedata

    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    cv2.imwrite(str(folder / "sub" / "a.png"), np.full((10, 12, 3), 90, np.uint8))
    rle = {"size": [10, 12], "counts": [0, 20, 100]}
    names = ["sub/a.png", "https://bkt.s3.amazonaws.com/sub/a.png?X-Amz-Signature=ab", "/data/local-files/?d=sub/a.png"]
    nfd, nfc = unicodedata.normalize("NFD", "café"), unicodedata.normalize("NFC", "café")
    data = {
        "images": [{"id": i, "file_name": n, "width": 12, "height": 10} for i, n in enumerate(names, 1)],
        "annotations": [
            {"id": i, "image_id": i, "category_id": 1, "segmentation": rle, "iscrowd": 0} for i in (1, 2, 3)
        ],
        "categories": [{"id": 1, "name": nfd}, {"id": 2, "name": nfc}],
    }
    (folder / "annotations.coco.json").write_text(json.dumps(data))
    with Session.open(folder) as session:
        assert sorted(o.id for o in session.objects("sub/a.png")) == [1, 2, 3]
        added = session.add("sub/a.png", rect((10, 12), 5, 5, 3, 3), nfc)  # the category spelt so: 2
    saved = json.loads((folder / "annotations.coco.json").read_text())
    assert [a["category_id"] for a in saved["annotations"] if a["id"] == added] == [2]
    assert [i["file_name"] for i in saved["images"]] == names


def test_the_base_name_still_finds_an_image_when_nothing_else_could_be_meant(tmp_path):
    folder = tmp_path / "farm"
    folder.mkdir()
    cv2.imwrite(str(folder / "sheep.jpg"), np.full((10, 12, 3), 200, np.uint8))
    data = {
        "images": [{"id": 4, "file_name": "/home/someone/data/sheep.jpg", "width": 12, "height": 10}],
        "annotations": [
            {
                "id": 1,
                "image_id": 4,
                "category_id": 1,
                "segmentation": {"size": [10, 12], "counts": [0, 20, 100]},
                "iscrowd": 0,
            }
        ],
        "categories": [{"id": 1, "name": "sheep"}],
    }
    (folder / "annotations.coco.json").write_text(json.dumps(data))
    with Session.open(folder) as session:
        assert [o.id for o in session.objects("sheep.jpg")] == [1]


# -- kill -9 at any moment: the journal replays a prefix of the acknowledged changes -----------------------
def untouched_file(folder):
    """A COCO file of another tool: 12 polygon objects on a.png that the writer never touches."""
    anns = [
        {
            "id": 1000 + k,
            "image_id": 7,
            "category_id": 3,
            "segmentation": [[1.5 + k, 1.5, 6.5 + k, 1.5, 6.5 + k, 8.25, 1.5 + k, 8.25]],
            "area": 33.75,
            "bbox": [1.5 + k, 1.5, 5.0, 6.75],
            "iscrowd": 0,
            "attributes": {"note": f"é {k}", "score": 0.1 + k},
        }
        for k in range(12)
    ]
    data = {
        "info": {"by": "another tool"},
        "images": [{"id": 7, "file_name": "a.png", "width": 25, "height": 20, "x": None}],
        "annotations": anns,
        "categories": [{"id": 3, "name": "tree", "supercategory": "plant"}],
    }
    (folder / "annotations.coco.json").write_bytes(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
    return [json.dumps(a, ensure_ascii=False, separators=(",", ":")).encode() for a in anns]


def random_writer(folder, seed, compact_every):
    def work(say):
        rng = np.random.default_rng(seed)
        session = Session.open(folder, mode="write", compact_every=compact_every)
        say("ready")
        while True:
            mine = [o.id for o in session.objects("b.png")]
            kind = rng.choice(["add", "replace", "remove"]) if mine else "add"
            y, x, h, w = (int(v) for v in rng.integers([0, 0, 1, 1], [25, 35, 6, 6]))
            if kind == "add":
                say(f"do add {y} {x} {h} {w}")
                say(f"ok {session.add('b.png', rect((30, 40), y, x, h, w), 'cat')}")
            else:
                target = int(rng.choice(mine))
                say(f"do {kind} {target} {y} {x} {h} {w}")
                if kind == "replace":
                    session.replace(target, mask=rect((30, 40), y, x, h, w))
                else:
                    session.remove(target)
                say("ok")

    return work


def apply(state: dict, line: str, result: str):
    words = line.split()
    kind, numbers = words[1], [int(v) for v in words[2:]]
    state = dict(state)
    if kind == "add":
        state[int(result)] = tuple(numbers)
    elif kind == "replace":
        state[numbers[0]] = tuple(numbers[1:])
    else:
        del state[numbers[0]]
    return state


def run_kills(folder, kills: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    untouched = untouched_file(folder)
    state: dict = {}  # object id -> (y, x, h, w): what the acknowledged changes made
    replayed_unacknowledged = 0
    for attempt in range(kills):
        pid, fd = in_child(random_writer(folder, seed * 100_000 + attempt, int(rng.integers(1, 9))))
        assert os.read(fd, 6) == b"ready\n"
        time.sleep(float(rng.uniform(0, 0.03)))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        lines = read_all(fd)
        pending = None
        for line in lines:
            if line.startswith("do "):
                pending = line
            elif pending is not None:  # "ok ..."
                state = apply(state, pending, line.split()[1] if len(line.split()) > 1 else "")
                pending = None
        with Session.open(folder, mode="write") as session:
            found = {o.id: o.mask for o in session.objects("b.png")}
            expected = {i: rect((30, 40), *r) for i, r in state.items()}
            same = set(found) == set(expected) and all((found[i] == expected[i]).all() for i in found)
            if not same:  # the change in flight was made durable before its acknowledgement: allowed
                assert pending is not None, (attempt, sorted(found), sorted(expected))
                words = pending.split()
                if words[1] == "add":
                    (extra,) = set(found) - set(expected)
                    state = apply(state, pending, str(extra))
                else:
                    state = apply(state, pending, "")
                expected = {i: rect((30, 40), *r) for i, r in state.items()}
                assert set(found) == set(expected) and all((found[i] == expected[i]).all() for i in found), attempt
                replayed_unacknowledged += 1
            assert session.count("a.png") == 12
        data = (folder / "annotations.coco.json").read_bytes()  # folded in by close()
        assert all(record in data for record in untouched), attempt  # byte for byte
        assert not journal_of(folder).exists()
        assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    return state, replayed_unacknowledged


@pytest.mark.skipif(not HAS_FORK, reason="forks writers to kill")
def test_a_writer_killed_at_200_random_moments_replays_a_prefix_of_its_acknowledged_changes(folder):
    state, _ = run_kills(folder, kills=200)
    assert state  # the writers got work done between kills


def test_a_failed_change_leaves_each_record_as_it_was_read_and_in_its_place(folder, monkeypatch):
    # another tool's file: its own indentation, number spellings and escapes
    text = (
        '{\n    "images": [{"id": 1, "file_name": "a.png", "width": 25, "height": 20}],\n'
        '    "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],\n    "annotations": [\n'
        + ",\n".join(
            f'        {{"iscrowd": 0, "id": {i}, "image_id": 1, "category_id": 1, "area": 16.00, '
            f'"segmentation": [[1.00, {i}, 5.00, {i}, 5.00, {i + 4}, 1.00, {i + 4}]], "note": "caf\\u00e9"}}'
            for i in (1, 2, 3)
        )
        + "\n    ]\n}\n"
    )
    path = folder / "annotations.coco.json"
    path.write_text(text)
    session = Session.open(folder, compact_every=1)

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    for change in (
        lambda: session.remove(1),
        lambda: session.replace(2, category="dog"),
        lambda: session.replace(3, mask=rect((20, 25), 0, 0, 2, 2)),
    ):
        with pytest.raises(InputError, match="No space left on device"):
            change()
    monkeypatch.undo()
    assert [o.id for o in session.objects("a.png")] == [1, 2, 3]  # the order that says which is on top
    session.replace(2, category="cat")  # the class it has: a change of nothing
    added = session.add("a.png", rect((20, 25), 15, 15, 3, 3), "cat")
    session.close()
    written = path.read_text()
    assert written.startswith(text[: text.rindex("\n    ]")])  # the three records as read, in order
    assert [a["id"] for a in json.loads(written)["annotations"]] == [1, 2, 3, added]


def test_each_journal_set_aside_is_kept(folder):
    for round in range(2):
        session = Session.open(folder, compact_every=1000)
        session.add("a.png", rect((20, 25), round, round, 3, 3), f"work {round}")
        theirs = {"images": [], "annotations": [], "categories": [{"id": 1, "name": f"theirs {round}"}]}
        session.path.write_text(json.dumps(theirs))  # another program
        session._store.let_go()  # a crash
        with Session.open(folder, discard_journal=True):
            pass
    aside = sorted(p.name for p in folder.glob(".annotations.coco.json.journal.discarded*"))
    assert aside == [".annotations.coco.json.journal.discarded", ".annotations.coco.json.journal.discarded.2"]
    kept = [(folder / name).read_text() for name in aside]
    assert "work 0" in kept[0] and "work 1" in kept[1]


def test_an_outside_edit_that_keeps_the_size_and_puts_the_mtime_back_is_never_overwritten(folder):
    session = Session.open(folder, compact_every=1)
    session.add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")
    path = session.path
    stat = path.stat()
    edited = path.read_text().replace('"cat"', '"CAT"')  # same size
    path.write_text(edited)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as cp -p and rsync -t leave it
    with pytest.raises(InputError, match="changed by another program"):
        session.add("a.png", rect((20, 25), 5, 5, 3, 3), "cat")
    session.close()  # nothing of its own left to write
    assert path.read_text() == edited


def test_a_coco_file_its_owner_made_read_only_is_opened_read_only(folder):
    with Session.open(folder) as session:
        session.add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")
    path = folder / "annotations.coco.json"
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        with pytest.warns(UserWarning, match="write-protected"):
            session = Session.open(folder)
        assert session.read_only and "make it writable" in session.read_only_reason
        with pytest.raises(InputError, match="write-protected"):
            session.add("a.png", rect((20, 25), 5, 5, 3, 3), "cat")
        session.close()
        with pytest.raises(InputError, match="write-protected.*make it writable"):
            Session.open(folder, mode="write")
        assert path.read_bytes() == before
    finally:
        path.chmod(0o644)


def test_the_id_counter_goes_into_info_without_rewriting_the_users_keys(folder):
    text = (
        '{\n  "info": {\n    "description": "CVAT export",\n    "version": "1.00",\n    "year": 2024\n  },\n'
        '  "images": [], "annotations": [], "categories": []\n}\n'
    )
    path = folder / "annotations.coco.json"
    path.write_text(text)
    with Session.open(folder) as session:
        first = session.add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")
        session.remove(session.add("a.png", rect((20, 25), 5, 5, 3, 3), "cat"))  # the newest: its id is not reused
    written = path.read_text()
    assert written.startswith(
        '{\n  "info": {\n    "description": "CVAT export",\n    "version": "1.00",\n    "year": 2024, '
        '"interactive_seg_next_annotation_id": 3\n  },'
    )
    with Session.open(folder) as session:
        session.remove(first)
        assert session.add("a.png", rect((20, 25), 9, 9, 3, 3), "cat") == 3
        session.remove(3)
    assert '"year": 2024, "interactive_seg_next_annotation_id": 4\n  },' in path.read_text()
    # the counter's own key written with a \u escape, and a key of that name nested in info:
    # the nested one (the user's) was the one changed
    escaped = '"interactive_seg_next_annot\\u0061tion_id": 4, "tool": {"interactive_seg_next_annotation_id": 4}'
    path.write_text(path.read_text().replace('"interactive_seg_next_annotation_id": 4', escaped))
    with Session.open(folder) as session:
        session.remove(session.add("a.png", rect((20, 25), 9, 9, 3, 3), "cat"))
    info = json.loads(path.read_text())["info"]
    assert info["interactive_seg_next_annotation_id"] == 5 and info["tool"] == {"interactive_seg_next_annotation_id": 4}


@pytest.mark.parametrize("how", ["the block raises", "the disk is full"])
def test_a_failed_change_that_made_a_class_and_renamed_it_takes_the_class_back(folder, monkeypatch, how):
    with Session.open(folder) as session:
        session.add("a.png", rect((20, 25), 0, 0, 3, 3), "dog")
    session = Session.open(folder)
    if how == "the disk is full":
        monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    with pytest.raises((RuntimeError, InputError)):
        with session.transaction():
            session.add("a.png", rect((20, 25), 5, 5, 3, 3), "cat")  # a new class
            session.rename_class("cat", "kitten")  # touched again after it was made
            if how == "the block raises":
                raise RuntimeError("the block fails")
    monkeypatch.undo()
    assert session.categories == {"dog": 1}
    session.add("a.png", rect((20, 25), 9, 9, 3, 3), "cat")
    session.close()
    with Session.open(folder) as again:  # (a category_id no category had: the folder did not open)
        assert again.categories == {"dog": 1, "cat": 2}


def test_a_coco_file_made_read_only_while_open_is_not_overwritten_and_nothing_is_lost(folder):
    session = Session.open(folder, compact_every=1000)
    session.add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")
    session.save()
    path = session.path
    before = path.read_bytes()
    kept = session.add("a.png", rect((20, 25), 5, 5, 3, 3), "cat")  # in the journal
    path.chmod(0o444)
    try:
        with pytest.raises(InputError, match="made write-protected while this session had it.*kept in"):
            session.save()
        with pytest.raises(InputError, match="write-protected"):
            session.save(folder / "annotations.coco.json")
        other = folder / "other.json"
        other.write_text("{}")
        other.chmod(0o444)
        with pytest.raises(InputError, match="write-protected"):
            session.save(other)  # another file the user protected: not replaced either
        assert other.read_text() == "{}"
        with pytest.raises(InputError, match="write-protected"):
            session.close()
        assert path.read_bytes() == before and journal_of(folder).exists()
    finally:
        path.chmod(0o644)
    with Session.open(folder) as again:  # the journal brings the change back
        assert [o.id for o in again.objects("a.png")] == [1, kept]


# -- the public writer of one image's objects takes the folder's lock too ----------------------
def test_add_to_coco_never_writes_under_an_open_session_and_folds_in_a_crashed_ones_journal(folder):
    from interactive_seg import add_to_coco
    from interactive_seg.labels import LabelObject

    obj = LabelObject(1, "dog", np.ones((3, 3), bool), (4, 4), (30, 40))
    session = Session.open(folder, compact_every=1000)
    saved = session.add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")  # in the journal
    path = session.path
    before = path.read_bytes() if path.exists() else None
    with pytest.raises(InputError, match="annotations.coco.json"):
        add_to_coco(path, "b.png", 40, 30, [obj])  # the session's next fold would have dropped it
    assert (path.read_bytes() if path.exists() else None) == before
    session._store.journal.close()  # the session dies without folding its journal in
    session._finalizer.detach()
    session._store.lock.release()
    add_to_coco(path, "b.png", 40, 30, [obj])
    assert not journal_of(folder).exists()
    with Session.open(folder) as again:
        assert [(o.id, o.category) for o in again.objects("a.png")] == [(saved, "cat")]
        assert [o.category for o in again.objects("b.png")] == ["dog"]


def test_a_failed_edit_document_writes_nothing_even_with_a_crashed_sessions_journal_to_fold(folder):
    from interactive_seg import add_to_coco
    from interactive_seg.model.writers import edit_document

    session = Session.open(folder, compact_every=1000)
    kept = session.add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")
    session.save()
    crashed = session.add("b.png", rect((30, 40), 5, 5, 3, 3), "dog")  # in the journal only
    session._store.journal.close()  # the session dies without folding its journal in
    session._finalizer.detach()
    session._store.lock.release()
    path = session.path
    before = path.read_bytes()

    class WrongSize:
        category = "cat"
        mask = np.ones((10, 10), bool)

    with pytest.raises(InputError, match="10 x 10"):
        add_to_coco(path, "a.png", 25, 20, [WrongSize()])  # a.png's objects go, then it fails
    with pytest.raises(RuntimeError):
        with edit_document(path) as doc:
            doc.remove_annotation(kept)
            raise RuntimeError("the block fails")
    assert path.read_bytes() == before and journal_of(folder).exists()
    with Session.open(folder) as again:
        assert [o.id for o in again.objects("a.png")] == [kept]
        assert [o.id for o in again.objects("b.png")] == [crashed]


def test_writers_of_a_whole_file_never_replace_one_a_session_holds(folder, tmp_path):
    """batch masks --out (and replay --out, batch export --coco, session.save(path)) wrote over
    a COCO file another session had open: its saved objects gone, its journal stranded."""
    from interactive_seg.cli import main

    holder = Session.open(folder)
    holder.add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")
    path = holder.save()
    before = path.read_bytes()
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(folder / "a.png", other / "a.png")
    with Session.open(other) as second:
        second.add("a.png", rect((20, 25), 5, 5, 3, 3), "dog")
        with pytest.raises(InputError, match="open for writing in another window"):
            second.save(path)
        coco = second.save(tmp_path / "copy.json")  # a file nobody holds
    assert main(["batch", "masks", "--coco", str(coco), "--images", str(other), "--out", str(path), "-q"]) == 2
    assert path.read_bytes() == before
    holder.add("a.png", rect((20, 25), 9, 9, 3, 3), "cat")  # the session goes on as if nothing happened
    holder.close()
    with Session.open(folder) as again:
        assert again.count("a.png") == 2


@pytest.mark.skipif(not HAS_FORK, reason="needs os.fork")
def test_a_forked_child_that_exits_leaves_the_parents_journal_alone(folder):
    """A child forked while a session was open ran the session's exit handler when it
    ended: it folded the journal as of the fork in and removed it under the parent."""
    session = Session.open(folder, compact_every=1000, compact_seconds=1e9)
    session.add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")
    pid = os.fork()
    if pid == 0:  # the child: what its interpreter's exit runs, then out
        try:
            session._finalizer()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert journal_of(folder).exists()
    session.add("a.png", rect((20, 25), 5, 5, 3, 3), "cat")
    session.close()
    with Session.open(folder) as again:
        assert again.count("a.png") == 2


def test_a_journal_with_a_damaged_first_line_is_set_aside_not_deleted(folder):
    session = Session.open(folder, compact_every=1000)
    session.add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")
    session._store.journal.close()  # the session dies without folding its journal in
    session._finalizer.detach()
    session._store.lock.release()
    data = bytearray(journal_of(folder).read_bytes())
    data[5] ^= 0x01  # one flipped bit in the header
    journal_of(folder).write_bytes(bytes(data))
    with pytest.warns(UserWarning, match="could not be read.*kept as '.annotations.coco.json.journal.discarded'"):
        again = Session.open(folder)
    again.add("b.png", rect((30, 40), 0, 0, 3, 3), "dog")
    again.close()
    assert (folder / ".annotations.coco.json.journal.discarded").read_bytes() == bytes(data)


def test_a_journal_that_cannot_be_written_opens_read_only_or_is_refused_in_a_sentence(folder, monkeypatch):
    """Another user's journal (left by `sudo napari`) raised a bare OSError."""
    from interactive_seg import add_to_coco
    from interactive_seg.model import journal

    session = Session.open(folder, compact_every=1000)
    session.add("a.png", rect((20, 25), 0, 0, 3, 3), "cat")
    session._store.journal.close()  # the session dies without folding its journal in
    session._finalizer.detach()
    session._store.lock.release()

    def refused(self, changes):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(journal.Journal, "resume", refused)
    with pytest.warns(UserWarning, match="cannot be written to .Permission denied.; opened read-only"):
        shown = Session.open(folder)
    assert shown.read_only and shown.count("a.png") == 1
    shown.close()
    with pytest.raises(InputError, match="holds unsaved changes and cannot be written to"):
        add_to_coco(folder / "annotations.coco.json", "b.png", 40, 30, [])
    monkeypatch.undo()
    with Session.open(folder) as again:  # nothing was lost on the way
        assert again.count("a.png") == 1 and not again.read_only


def test_one_off_writers_take_turns_at_a_folder_and_a_session_still_refuses_them(folder, monkeypatch):
    """Eight parallel `segment --coco` runs: half exited 2 at once, the lock held by another
    run for a moment (an attack pass). A one-off writer now waits for it."""
    import threading

    from interactive_seg import add_to_coco
    from interactive_seg.labels import LabelObject
    from interactive_seg.model import writers
    from interactive_seg.model.lock import FolderLock

    monkeypatch.setattr(writers, "WRITER_WAIT", 3.0)
    path = folder / "annotations.coco.json"
    other = FolderLock(path)
    assert other.acquire()  # another run's moment of writing
    threading.Timer(0.5, other.release).start()
    started = time.monotonic()
    add_to_coco(path, "a.png", 25, 20, [LabelObject(1, "cat", np.ones((3, 3), bool), (1, 1), (20, 25))])
    assert 0.4 < time.monotonic() - started < 3.0
    monkeypatch.setattr(writers, "WRITER_WAIT", 0.2)
    with Session.open(folder):  # a session holds it for good: refused after the wait
        with pytest.raises(InputError, match="open for writing in another window"):
            add_to_coco(path, "b.png", 40, 30, [])


def test_a_file_on_a_read_only_file_system_is_said_to_be_so(folder, monkeypatch):
    """It was called write-protected, to be made writable, which no chmod can do there."""
    from interactive_seg.files import check_output_file

    path = folder / "annotations.coco.json"
    path.write_text('{"images": [], "annotations": [], "categories": []}')
    path.chmod(0o444)  # what a read-only mount shows: no writing
    real = os.statvfs

    class ReadOnly:
        def __init__(self, result):
            self.f_flag = result.f_flag | os.ST_RDONLY

    monkeypatch.setattr(os, "statvfs", lambda p: ReadOnly(real(p)))
    try:
        with pytest.raises(InputError, match="on a read-only file system .*copy it to a writable place"):
            check_output_file(path, "The COCO file")
        with pytest.warns(UserWarning, match="read-only file system"):
            Session.open(folder).close()
    finally:
        path.chmod(0o644)


def test_two_records_of_one_base_name_in_other_folders_are_not_a_top_level_images(tmp_path):
    """images/a.png and other/a.png (neither folder here) both end in a.png, the folder's one
    a.png: which of the two photographs is it? Neither is given to it."""
    folder = tmp_path / "farm"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.full((10, 12, 3), 90, np.uint8))
    rle = {"size": [10, 12], "counts": [0, 20, 100]}
    data = {
        "images": [
            {"id": i, "file_name": n, "width": 12, "height": 10} for i, n in ((1, "images/a.png"), (2, "other/a.png"))
        ],
        "annotations": [{"id": i, "image_id": i, "category_id": 1, "segmentation": rle, "iscrowd": 0} for i in (1, 2)],
        "categories": [{"id": 1, "name": "sheep"}],
    }
    (folder / "annotations.coco.json").write_text(json.dumps(data))
    with Session.open(folder) as session:
        assert session.objects("a.png") == []
    data["images"].pop()
    data["annotations"].pop()
    (folder / "annotations.coco.json").write_text(json.dumps(data))
    with Session.open(folder) as session:  # one record of that name: nothing else could be meant
        assert [o.id for o in session.objects("a.png")] == [1]
