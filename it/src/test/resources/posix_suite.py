#!/usr/bin/env python3
"""Strata's POSIX semantics suite: run against a directory, prints PASS/FAIL per check.

Usage: posix_suite.py DIR [OTHER_FS_DIR]   (OTHER_FS_DIR: a directory on another file system, for EXDEV)
POSIX_UNSUPPORTED=tmpfile,fallocate: features the file system declares unsupported; their checks
then require a clean EOPNOTSUPP instead.
Exit status: number of failed checks. Each check works in its own subdirectory.
"""
import ctypes, errno, os, stat, sys, threading, time, traceback

libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2
UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def renameat2(a, b, flags):
    if libc.renameat2(AT_FDCWD, a.encode(), AT_FDCWD, b.encode(), flags) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def utimensat(path, a, m):
    ts = (Timespec * 2)(Timespec(*a), Timespec(*m))
    if libc.utimensat(AT_FDCWD, path.encode(), ts, 0) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def expect_errno(code, fn, *args):
    try:
        fn(*args)
    except OSError as e:
        assert e.errno == code, "expected %s, got %s" % (errno.errorcode[code], errno.errorcode.get(e.errno, e.errno))
        return
    raise AssertionError("expected %s, call succeeded" % errno.errorcode[code])


def write(path, data, mode="wb"):
    with open(path, mode) as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


@check
def rename_over_existing_file(d):
    write(d + "/a", b"new")
    write(d + "/b", b"old")
    old_ino = os.stat(d + "/b").st_ino
    os.rename(d + "/a", d + "/b")
    assert read(d + "/b") == b"new"
    assert not os.path.exists(d + "/a")
    assert os.stat(d + "/b").st_ino != old_ino


@check
def rename_directory_cases(d):
    os.mkdir(d + "/src"); write(d + "/src/f", b"x")
    os.mkdir(d + "/empty")
    os.mkdir(d + "/full"); write(d + "/full/g", b"y")
    write(d + "/file", b"z")
    expect_errno(errno.ENOTEMPTY, os.rename, d + "/src", d + "/full")
    expect_errno(errno.ENOTDIR, os.rename, d + "/src", d + "/file")
    expect_errno(errno.EISDIR, os.rename, d + "/file", d + "/empty")
    expect_errno(errno.EINVAL, os.rename, d + "/src", d + "/src/inside")
    os.rename(d + "/src", d + "/empty")
    assert read(d + "/empty/f") == b"x" and not os.path.exists(d + "/src")
    os.mkdir(d + "/p1"); os.mkdir(d + "/p2"); os.mkdir(d + "/p1/child")
    n1, n2 = os.stat(d + "/p1").st_nlink, os.stat(d + "/p2").st_nlink
    os.rename(d + "/p1/child", d + "/p2/child")
    assert os.stat(d + "/p1").st_nlink == n1 - 1 and os.stat(d + "/p2").st_nlink == n2 + 1
    assert os.stat(d + "/p2/child/..").st_ino == os.stat(d + "/p2").st_ino


@check
def rename_hardlink_onto_itself_is_noop(d):
    write(d + "/a", b"1")
    os.link(d + "/a", d + "/b")
    os.rename(d + "/a", d + "/b")
    assert os.path.exists(d + "/a") and os.path.exists(d + "/b")
    assert os.stat(d + "/a").st_nlink == 2


@check
def rename_noreplace_and_exchange(d):
    write(d + "/a", b"A"); write(d + "/b", b"B")
    expect_errno(errno.EEXIST, renameat2, d + "/a", d + "/b", RENAME_NOREPLACE)
    renameat2(d + "/a", d + "/c", RENAME_NOREPLACE)
    renameat2(d + "/c", d + "/b", RENAME_EXCHANGE)
    assert read(d + "/b") == b"A" and read(d + "/c") == b"B"
    os.mkdir(d + "/dir")
    renameat2(d + "/dir", d + "/b", RENAME_EXCHANGE)
    assert os.path.isdir(d + "/b") and read(d + "/dir") == b"A"
    expect_errno(errno.ENOENT, renameat2, d + "/missing", d + "/c", RENAME_EXCHANGE)


@check
def unlinked_open_file_keeps_working(d):
    fd = os.open(d + "/f", os.O_RDWR | os.O_CREAT, 0o644)
    os.write(fd, b"before")
    os.unlink(d + "/f")
    assert not os.path.exists(d + "/f")
    os.write(fd, b" after")
    os.lseek(fd, 0, 0)
    assert os.read(fd, 100) == b"before after"
    assert os.fstat(fd).st_nlink == 0
    os.ftruncate(fd, 3)
    assert os.fstat(fd).st_size == 3
    os.close(fd)


@check
def link_counts(d):
    write(d + "/f", b"x")
    assert os.stat(d + "/f").st_nlink == 1
    os.link(d + "/f", d + "/g")
    assert os.stat(d + "/f").st_nlink == 2 and os.stat(d + "/f").st_ino == os.stat(d + "/g").st_ino
    os.unlink(d + "/f")
    assert os.stat(d + "/g").st_nlink == 1
    base = os.stat(d).st_nlink
    os.mkdir(d + "/s1"); os.mkdir(d + "/s2")
    assert os.stat(d).st_nlink == base + 2
    assert os.stat(d + "/s1").st_nlink == 2
    os.rmdir(d + "/s1")
    assert os.stat(d).st_nlink == base + 1
    expect_errno(errno.EPERM, os.link, d + "/s2", d + "/s3")


@check
def append_from_two_writers(d):
    path = d + "/log"
    write(path, b"")
    pids = []
    for tag in (b"a", b"b"):
        pid = os.fork()
        if pid == 0:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_APPEND)
                for _ in range(500):
                    os.write(fd, tag * 10 + b"\n")
                os.close(fd)
            finally:
                os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    data = read(path)
    lines = data.split(b"\n")[:-1]
    assert len(data) == 1000 * 11, "size %d" % len(data)
    assert sorted(set(lines)) == [b"a" * 10, b"b" * 10], "no interleaving inside a write"
    assert lines.count(b"a" * 10) == 500


@check
def truncate_and_extend(d):
    write(d + "/f", b"0123456789")
    os.truncate(d + "/f", 4)
    assert read(d + "/f") == b"0123"
    os.truncate(d + "/f", 8192)
    data = read(d + "/f")
    assert len(data) == 8192 and data[:4] == b"0123" and data[4:] == bytes(8188)
    fd = os.open(d + "/f", os.O_RDWR | os.O_TRUNC)
    assert os.fstat(fd).st_size == 0
    os.close(fd)


@check
def sparse_files_and_seek_data_hole(d):
    fd = os.open(d + "/sparse", os.O_RDWR | os.O_CREAT, 0o644)
    off = 64 << 20
    os.pwrite(fd, b"data", off)
    st = os.fstat(fd)
    assert st.st_size == off + 4
    assert st.st_blocks * 512 < 8 << 20, "holes take no space (%d blocks)" % st.st_blocks
    assert os.pread(fd, 16, 1 << 20) == bytes(16)
    assert os.lseek(fd, 0, os.SEEK_HOLE) == 0
    data = os.lseek(fd, 0, os.SEEK_DATA)
    assert data <= off and data > 0, "SEEK_DATA found %d" % data
    assert os.pread(fd, 4, off) == b"data"
    expect_errno(errno.ENXIO, os.lseek, fd, off + 4, os.SEEK_DATA)
    os.close(fd)


@check
def utimensat_now_and_omit(d):
    write(d + "/f", b"x")
    utimensat(d + "/f", (1000, 123456789), (2000, 987654321))
    st = os.stat(d + "/f")
    assert st.st_atime_ns == 1000_123456789 and st.st_mtime_ns == 2000_987654321, (st.st_atime_ns, st.st_mtime_ns)
    utimensat(d + "/f", (0, UTIME_OMIT), (0, UTIME_NOW))
    st2 = os.stat(d + "/f")
    assert st2.st_atime_ns == 1000_123456789, "UTIME_OMIT keeps atime"
    assert abs(st2.st_mtime_ns - time.time_ns()) < 5_000_000_000, "UTIME_NOW sets mtime to now"
    assert st2.st_ctime_ns >= st.st_ctime_ns


@check
def write_updates_mtime_and_ctime(d):
    write(d + "/f", b"x")
    os.utime(d + "/f", ns=(10**9, 10**9))
    before = os.stat(d + "/f")
    write(d + "/f", b"more", "ab")
    after = os.stat(d + "/f")
    assert after.st_mtime_ns > before.st_mtime_ns and after.st_ctime_ns >= before.st_ctime_ns
    dir_before = os.stat(d).st_mtime_ns
    time.sleep(0.01)
    write(d + "/g", b"")
    assert os.stat(d).st_mtime_ns > dir_before, "creating an entry changes the directory's mtime"


@check
def xattr_flags(d):
    write(d + "/f", b"x")
    os.setxattr(d + "/f", "user.k", b"v1")
    assert os.getxattr(d + "/f", "user.k") == b"v1"
    expect_errno(errno.EEXIST, os.setxattr, d + "/f", "user.k", b"v2", os.XATTR_CREATE)
    expect_errno(errno.ENODATA, os.setxattr, d + "/f", "user.none", b"v", os.XATTR_REPLACE)
    os.setxattr(d + "/f", "user.k", b"v3", os.XATTR_REPLACE)
    assert os.getxattr(d + "/f", "user.k") == b"v3"
    expect_errno(errno.ENODATA, os.getxattr, d + "/f", "user.none")
    os.setxattr(d + "/f", "user.empty", b"")
    assert os.getxattr(d + "/f", "user.empty") == b""
    assert sorted(os.listxattr(d + "/f")) == ["user.empty", "user.k"]
    os.removexattr(d + "/f", "user.k")
    expect_errno(errno.ENODATA, os.removexattr, d + "/f", "user.k")
    os.setxattr(d + "/f", "user.big", b"z" * 4000)
    assert os.getxattr(d + "/f", "user.big") == b"z" * 4000


@check
def readdir_during_changes_returns_survivors_once(d):
    n = 3000
    for i in range(n):
        write("%s/keep%05d" % (d, i), b"")
    for i in range(n):
        write("%s/gone%05d" % (d, i), b"")
    stop = threading.Event()

    def churn():
        i = 0
        while not stop.is_set() and i < n:
            os.unlink("%s/gone%05d" % (d, i))
            write("%s/new%05d" % (d, i), b"")
            i += 1

    t = threading.Thread(target=churn)
    t.start()
    seen = []
    try:
        fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
        with os.scandir(fd) as it:
            for e in it:
                seen.append(e.name)
                if len(seen) % 200 == 0:
                    time.sleep(0.001)
        os.close(fd)
    finally:
        stop.set()
        t.join()
    keep = [s for s in seen if s.startswith("keep")]
    assert len(keep) == n, "every surviving entry listed: %d of %d" % (len(set(keep)), n)
    assert len(seen) == len(set(seen)), "no entry listed twice"


@check
def error_codes(d):
    expect_errno(errno.ENAMETOOLONG, os.open, d + "/" + "x" * 256, os.O_CREAT | os.O_WRONLY, 0o644)
    write(d + "/" + "y" * 255, b"")  # 255 is allowed
    os.mkdir(d + "/full"); write(d + "/full/f", b"")
    expect_errno(errno.ENOTEMPTY, os.rmdir, d + "/full")
    expect_errno(errno.EISDIR, os.open, d + "/full", os.O_WRONLY)
    expect_errno(errno.ENOTDIR, os.stat, d + "/full/f/x")
    expect_errno(errno.ENOTDIR, os.rmdir, d + "/full/f")
    os.symlink("loop2", d + "/loop1"); os.symlink("loop1", d + "/loop2")
    expect_errno(errno.ELOOP, os.open, d + "/loop1", os.O_RDONLY)
    expect_errno(errno.EEXIST, os.open, d + "/full/f", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    expect_errno(errno.ENOENT, os.unlink, d + "/missing")
    expect_errno(errno.EISDIR, os.unlink, d + "/full")


@check
def symlinks_and_special_files(d):
    os.symlink("target/with/../parts", d + "/l")
    assert os.readlink(d + "/l") == "target/with/../parts"
    assert stat.S_ISLNK(os.lstat(d + "/l").st_mode)
    os.mkfifo(d + "/fifo", 0o600)
    assert stat.S_ISFIFO(os.stat(d + "/fifo").st_mode)
    os.mknod(d + "/chr", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    st = os.stat(d + "/chr")
    assert stat.S_ISCHR(st.st_mode) and os.major(st.st_rdev) == 1 and os.minor(st.st_rdev) == 3


@check
def permissions_and_ownership(d):
    write(d + "/f", b"x")
    os.chmod(d + "/f", 0o4751)
    assert stat.S_IMODE(os.stat(d + "/f").st_mode) == 0o4751
    os.chown(d + "/f", 1234, 5678)
    st = os.stat(d + "/f")
    assert (st.st_uid, st.st_gid) == (1234, 5678)
    assert stat.S_IMODE(st.st_mode) & 0o4000 == 0, "chown clears set-user-ID"
    # set-id bits are cleared by a write from a user other than root (HANDLE_KILLPRIV_V2: by the server)
    write(d + "/suid", b"x")
    os.chmod(d + "/suid", 0o6755)
    os.chmod(d, 0o777)
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(65534); os.setuid(65534)
            with open(d + "/suid", "ab") as f:
                pass
        except Exception:
            os._exit(3)
        os._exit(0)
    os.waitpid(pid, 0)
    os.chmod(d + "/suid", 0o6757)
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(65534); os.setuid(65534)
            fd = os.open(d + "/suid", os.O_WRONLY | os.O_APPEND)
            os.write(fd, b"y")
            os.close(fd)
            os._exit(0)
        except Exception:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0, "nobody could write the o+w file"
    assert stat.S_IMODE(os.stat(d + "/suid").st_mode) & 0o6000 == 0, "a write by another user clears set-id bits: %o" % os.stat(d + "/suid").st_mode
    old = os.umask(0o077)
    try:
        os.mkdir(d + "/private", 0o777)
        assert stat.S_IMODE(os.stat(d + "/private").st_mode) == 0o700
    finally:
        os.umask(old)


@check
def exdev_across_file_systems(d):
    if OTHER is None:
        return
    write(d + "/f", b"x")
    expect_errno(errno.EXDEV, os.rename, d + "/f", OTHER + "/strata-exdev-probe")
    expect_errno(errno.EXDEV, os.link, d + "/f", OTHER + "/strata-exdev-probe")


@check
def tmpfile_then_link(d):
    try:
        fd = os.open(d, os.O_TMPFILE | os.O_RDWR, 0o600)
    except OSError as e:
        if "tmpfile" in UNSUPPORTED and e.errno == errno.EOPNOTSUPP:
            return
        raise
    if "tmpfile" in UNSUPPORTED:
        raise AssertionError("declared unsupported, but O_TMPFILE worked")
    os.write(fd, b"anonymous")
    assert os.listdir(d) == [], "an O_TMPFILE file has no name"
    AT_SYMLINK_FOLLOW = 0x400  # the documented way to give an O_TMPFILE file a name
    if libc.linkat(AT_FDCWD, ("/proc/self/fd/%d" % fd).encode(), AT_FDCWD, (d + "/named").encode(), AT_SYMLINK_FOLLOW) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    os.close(fd)
    assert read(d + "/named") == b"anonymous"


@check
def fallocate_modes(d):
    FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE = 1, 2
    fd = os.open(d + "/f", os.O_RDWR | os.O_CREAT, 0o644)
    os.write(fd, b"x" * (256 << 10))
    def fallocate(mode, off, length):
        if libc.fallocate(fd, mode, ctypes.c_long(off), ctypes.c_long(length)) != 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))
    try:
        fallocate(0, 0, 1 << 20)
    except OSError as e:
        os.close(fd)
        if "fallocate" in UNSUPPORTED and e.errno == errno.EOPNOTSUPP:
            return
        raise
    assert os.fstat(fd).st_size == 1 << 20, "mode 0 extends"
    fallocate(FALLOC_FL_KEEP_SIZE, 1 << 20, 1 << 20)
    assert os.fstat(fd).st_size == 1 << 20, "KEEP_SIZE keeps the size"
    fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 64 << 10, 128 << 10)
    assert os.pread(fd, 128 << 10, 64 << 10) == bytes(128 << 10), "a punched hole reads as zeros"
    assert os.pread(fd, 4, 0) == b"xxxx" and os.pread(fd, 4, 192 << 10) == b"xxxx", "around the hole is untouched"
    os.close(fd)


@check
def copy_file_range_copies(d):
    data = os.urandom(300000)
    write(d + "/src", data)
    fi = os.open(d + "/src", os.O_RDONLY)
    fo = os.open(d + "/dst", os.O_WRONLY | os.O_CREAT, 0o644)
    done = 0
    while done < len(data):
        n = os.copy_file_range(fi, fo, len(data) - done, done, done)
        assert n > 0
        done += n
    os.close(fi); os.close(fo)
    assert read(d + "/dst") == data


OTHER = None
UNSUPPORTED = set(filter(None, os.environ.get("POSIX_UNSUPPORTED", "").split(",")))


def main():
    global OTHER
    root = sys.argv[1]
    OTHER = sys.argv[2] if len(sys.argv) > 2 else None
    only = os.environ.get("POSIX_ONLY")
    failed = 0
    for fn in CHECKS:
        if only and fn.__name__ != only:
            continue
        d = os.path.join(root, fn.__name__)
        os.mkdir(d)
        try:
            fn(d)
            print("PASS", fn.__name__, flush=True)
        except Exception as e:
            failed += 1
            tb = traceback.extract_tb(e.__traceback__)[-1]
            print("FAIL %s: %s (line %d)" % (fn.__name__, e or type(e).__name__, tb.lineno), flush=True)
    sys.exit(failed)


if __name__ == "__main__":
    main()
