package io.strata.nio;

import io.strata.core.Caller;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.SetAttr;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;

/**
 * A FileChannel on one SPI file handle: positional and relative reads and writes, append,
 * truncate, force (fsync), transfers. It holds a lookup reference and the handle of its own, both
 * given back at close. Not supported: {@code map} (the data is not in this process's address space
 * to map; UnsupportedOperationException) and file locks (use the backend through FUSE for those).
 */
final class StrataFileChannel extends FileChannel {
    private final FileSystem fs;
    private final Caller caller;
    private final long ino, fh;
    private final boolean write, append, read;
    private final Path path;
    private long pos; // guarded by this

    StrataFileChannel(FileSystem fs, Caller caller, long ino, long fh, boolean write, boolean append, boolean read, Path path) {
        this.fs = fs;
        this.caller = caller;
        this.ino = ino;
        this.fh = fh;
        this.write = write;
        this.append = append;
        this.read = read;
        this.path = path;
    }

    private void check() throws IOException {
        if (!isOpen()) throw new ClosedChannelException();
    }

    private int readAt(ByteBuffer dst, long at) throws IOException {
        check();
        if (!read) throw new NonReadableChannelException();
        if (!dst.hasRemaining()) return 0;
        try {
            int n = fs.read(caller, ino, fh, at, dst);
            return n == 0 ? -1 : n;
        } catch (FsException e) {
            throw StrataFileSystem.io(e, path);
        }
    }

    private int writeAt(ByteBuffer src, long at) throws IOException {
        check();
        if (!write) throw new NonWritableChannelException();
        try {
            int total = 0;
            while (src.hasRemaining()) {
                int n = fs.write(caller, ino, fh, at + total, src, 0);
                total += n;
            }
            return total;
        } catch (FsException e) {
            throw StrataFileSystem.io(e, path);
        }
    }

    @Override
    public synchronized int read(ByteBuffer dst) throws IOException {
        int n = readAt(dst, pos);
        if (n > 0) pos += n;
        return n;
    }

    @Override
    public synchronized long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) {
            int n = read(dsts[i]);
            if (n < 0) return total == 0 ? -1 : total;
            total += n;
            if (dsts[i].hasRemaining()) break;
        }
        return total;
    }

    @Override
    public synchronized int write(ByteBuffer src) throws IOException {
        if (append) pos = size();
        int n = writeAt(src, pos);
        pos += n;
        return n;
    }

    @Override
    public synchronized long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        long total = 0;
        for (int i = offset; i < offset + length; i++) total += write(srcs[i]);
        return total;
    }

    @Override
    public synchronized long position() throws IOException {
        check();
        return pos;
    }

    @Override
    public synchronized FileChannel position(long p) throws IOException {
        check();
        if (p < 0) throw new IllegalArgumentException("negative position");
        pos = p;
        return this;
    }

    @Override
    public long size() throws IOException {
        check();
        try {
            return fs.getattr(caller, ino, fh).attr().size();
        } catch (FsException e) {
            throw StrataFileSystem.io(e, path);
        }
    }

    @Override
    public synchronized FileChannel truncate(long size) throws IOException {
        check();
        if (size < 0) throw new IllegalArgumentException("negative size");
        if (!write) throw new NonWritableChannelException();
        try {
            if (size < size()) fs.setattr(caller, ino, new SetAttr(SetAttr.SIZE, 0, 0, 0, size, 0, 0, 0, fh));
        } catch (FsException e) {
            throw StrataFileSystem.io(e, path);
        }
        if (pos > size) pos = size;
        return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
        check();
        try {
            fs.fsync(caller, ino, fh, !metaData);
        } catch (FsException e) {
            throw StrataFileSystem.io(e, path);
        }
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(count, 1 << 20));
        long done = 0;
        while (done < count) {
            b.clear().limit((int) Math.min(b.capacity(), count - done));
            int n = readAt(b, position + done);
            if (n <= 0) break;
            b.flip();
            while (b.hasRemaining()) target.write(b);
            done += n;
        }
        return done;
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(count, 1 << 20));
        long done = 0;
        while (done < count) {
            b.clear().limit((int) Math.min(b.capacity(), count - done));
            int n = src.read(b);
            if (n <= 0) break;
            b.flip();
            done += writeAt(b, position + done);
        }
        return done;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        if (position < 0) throw new IllegalArgumentException("negative position");
        return readAt(dst, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        if (position < 0) throw new IllegalArgumentException("negative position");
        return writeAt(src, position);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) {
        throw new UnsupportedOperationException("map: a Strata file's data is not in this process to map (read it instead)");
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) {
        throw new UnsupportedOperationException("file locks through java.nio are not supported (lock through a FUSE mount)");
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) {
        throw new UnsupportedOperationException("file locks through java.nio are not supported (lock through a FUSE mount)");
    }

    @Override
    protected void implCloseChannel() {
        fs.release(ino, fh, 0);
        fs.forget(ino, 1);
    }
}
