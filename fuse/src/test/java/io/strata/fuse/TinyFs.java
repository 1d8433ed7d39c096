package io.strata.fuse;

import io.strata.core.Attr;
import io.strata.core.AttrReply;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.DirSink;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.core.StatFs;
import io.strata.core.Errno;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/** A fixed test tree for frontend tests: /hello (a file) and /sub (an empty directory). */
final class TinyFs implements FileSystem {
    static final byte[] HELLO = "hello world\n".getBytes(StandardCharsets.UTF_8);
    final AtomicLong lookups = new AtomicLong();
    final AtomicLong forgets = new AtomicLong();

    private static Attr attr(long ino) {
        return switch ((int) ino) {
            case 1 -> new Attr(1, FileType.S_IFDIR | 0755, 3, 0, 0, 0, 4096, 8, 4096, 0, 0, 0);
            case 2 -> new Attr(2, FileType.S_IFREG | 0644, 1, 0, 0, 0, HELLO.length, 8, 4096, 1_000_000_000L, 2_500_000_123L, 3_000_000_000L);
            case 3 -> new Attr(3, FileType.S_IFDIR | 0700, 2, 0, 0, 0, 4096, 8, 4096, 0, 0, 0);
            default -> null;
        };
    }

    private static Attr need(long ino) throws FsException {
        Attr a = attr(ino);
        if (a == null) throw FsException.of(Errno.ESTALE);
        return a;
    }

    @Override
    public Entry lookup(Caller c, long parent, String name) throws FsException {
        long ino = parent == 1 && name.equals("hello") ? 2 : parent == 1 && name.equals("sub") ? 3 : 0;
        if (ino == 0) throw FsException.of(Errno.ENOENT);
        lookups.incrementAndGet();
        return new Entry(ino, 0, need(ino), 1_000_000_000L, 1_000_000_000L);
    }

    @Override
    public void forget(long ino, long nlookup) {
        forgets.addAndGet(nlookup);
    }

    @Override
    public AttrReply getattr(Caller c, long ino, long fh) throws FsException {
        return new AttrReply(need(ino), 1_000_000_000L);
    }

    @Override
    public AttrReply setattr(Caller c, long ino, SetAttr changes) throws FsException {
        throw FsException.of(Errno.EROFS);
    }

    @Override
    public Entry mknod(Caller c, long parent, String name, int mode, int rdev, int umask) throws FsException {
        throw FsException.of(Errno.EROFS);
    }

    @Override
    public Entry mkdir(Caller c, long parent, String name, int mode, int umask) throws FsException {
        throw FsException.of(Errno.EROFS);
    }

    @Override
    public Entry symlink(Caller c, long parent, String name, String target) throws FsException {
        throw FsException.of(Errno.EROFS);
    }

    @Override
    public Entry link(Caller c, long ino, long newParent, String newName) throws FsException {
        throw FsException.of(Errno.EROFS);
    }

    @Override
    public void unlink(Caller c, long parent, String name) throws FsException {
        throw FsException.of(Errno.EROFS);
    }

    @Override
    public void rmdir(Caller c, long parent, String name) throws FsException {
        throw FsException.of(Errno.EROFS);
    }

    @Override
    public void rename(Caller c, long parent, String name, long newParent, String newName, int flags) throws FsException {
        throw FsException.of(Errno.EROFS);
    }

    @Override
    public Opened open(Caller c, long ino, int flags) throws FsException {
        if (need(ino).isDirectory()) throw FsException.of(Errno.EISDIR);
        return Opened.of(7, 0);
    }

    @Override
    public Created create(Caller c, long parent, String name, int mode, int flags, int umask) throws FsException {
        throw FsException.of(Errno.EROFS);
    }

    @Override
    public int read(Caller c, long ino, long fh, long offset, ByteBuffer dst) throws FsException {
        if (ino != 2) throw FsException.of(Errno.EISDIR);
        if (offset >= HELLO.length) return 0;
        int n = (int) Math.min(dst.remaining(), HELLO.length - offset);
        dst.put(HELLO, (int) offset, n);
        return n;
    }

    @Override
    public int write(Caller c, long ino, long fh, long offset, ByteBuffer src, int writeFlags) throws FsException {
        throw FsException.of(Errno.EBADF);
    }

    @Override
    public void release(long ino, long fh, int flags) {}

    @Override
    public void readdir(Caller c, long ino, long fh, long cookie, DirSink sink) throws FsException {
        if (ino == 3) {
            if (cookie < 1 && !sink.add(".", 3, FileType.DT_DIR, 1)) return;
            if (cookie < 2) sink.add("..", 1, FileType.DT_DIR, 2);
            return;
        }
        String[] names = {".", "..", "hello", "sub"};
        long[] inos = {1, 1, 2, 3};
        int[] types = {FileType.DT_DIR, FileType.DT_DIR, FileType.DT_REG, FileType.DT_DIR};
        for (int i = (int) cookie; i < names.length; i++) {
            if (!sink.add(names[i], inos[i], types[i], i + 1)) return;
        }
    }

    @Override
    public StatFs statfs(Caller c, long ino) {
        return new StatFs(100, 50, 50, 10, 7, 4096, 255, 4096);
    }
}
