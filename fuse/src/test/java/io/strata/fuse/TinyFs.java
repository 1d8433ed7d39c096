package io.strata.fuse;

import io.strata.core.Attr;
import io.strata.core.AttrReply;
import io.strata.core.CacheMode;
import io.strata.core.CachePolicy;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.DirSink;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.Feature;
import io.strata.core.FileSystem;
import io.strata.core.FileType;
import io.strata.core.FsException;
import io.strata.core.Ioctl;
import io.strata.core.Name;
import io.strata.core.Opened;
import io.strata.core.SetAttr;
import io.strata.core.StatFs;
import io.strata.core.XattrName;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fixed, read-only test tree for frontend tests: /hello (a file with a birth time and xattrs),
 * /sub (an empty directory), two files whose one-byte names 0xE9 and 0xFF are not UTF-8, and
 * /link, a symlink whose target is not UTF-8 either. It answers FS_IOC_GETFLAGS and
 * FS_IOC_MEASURE_VERITY, and records what the frontend passed in.
 */
class TinyFs implements FileSystem {
    static final byte[] HELLO = "hello world\n".getBytes(StandardCharsets.UTF_8);
    static final Name E9 = name(0xE9), FF = name(0xFF);
    static final byte[] LINK_TARGET = {'x', (byte) 0xE9};
    static final XattrName X_E9 = xattr("user.", 0xE9), X_PLAIN = XattrName.of("user.plain");
    static final long BTIME_NS = 1_700_000_000_000_000_123L;
    /** FS_IMMUTABLE_FL, as lsattr shows it ('i'). */
    static final int FLAGS = 0x10;

    final AtomicLong lookups = new AtomicLong();
    final AtomicLong forgets = new AtomicLong();
    final AtomicInteger closes = new AtomicInteger();
    private final Set<Feature> features;
    private final CachePolicy policy;
    volatile Caller lastCaller;
    volatile SetAttr lastSetattr;
    volatile String lastIoctl;
    volatile byte[] lastSymlinkTarget;

    TinyFs() {
        this(EnumSet.of(Feature.PERMISSIONS, Feature.SYMLINKS, Feature.BTIME, Feature.VERITY, Feature.SEEK_DATA,
                Feature.FALLOCATE), CacheMode.SHARED);
    }

    TinyFs(Set<Feature> features, CacheMode mode) {
        this.features = features;
        this.policy = CachePolicy.of(mode);
    }

    private static Name name(int b) {
        try {
            return Name.of(new byte[] {(byte) b});
        } catch (FsException e) {
            throw new AssertionError(e);
        }
    }

    /** {@code prefix} followed by one byte that is not UTF-8 on its own. */
    private static XattrName xattr(String prefix, int last) {
        byte[] p = prefix.getBytes(StandardCharsets.UTF_8);
        byte[] b = Arrays.copyOf(p, p.length + 1);
        b[p.length] = (byte) last;
        try {
            return XattrName.of(b);
        } catch (FsException e) {
            throw new AssertionError(e);
        }
    }

    private static Attr attr(long ino) {
        return switch ((int) ino) {
            case 1 -> new Attr(1, FileType.S_IFDIR | 0755, 3, 0, 0, 0, 4096, 8, 4096, 0, 0, 0);
            case 2 -> new Attr(2, FileType.S_IFREG | 0644, 1, 0, 0, 0, HELLO.length, 8, 4096, 1_000_000_000L,
                    2_500_000_123L, 3_000_000_000L).withBtime(BTIME_NS);
            case 3 -> new Attr(3, FileType.S_IFDIR | 0700, 2, 0, 0, 0, 4096, 8, 4096, 0, 0, 0);
            case 4, 5 -> new Attr(ino, FileType.S_IFREG | 0644, 1, 0, 0, 0, 3, 8, 4096, 0, 0, 0);
            case 6 -> new Attr(6, FileType.S_IFLNK | 0777, 1, 0, 0, 0, LINK_TARGET.length, 0, 4096, 0, 0, 0);
            default -> null;
        };
    }

    private static Attr need(long ino) throws FsException {
        Attr a = attr(ino);
        if (a == null) throw FsException.of(Errno.ESTALE);
        return a;
    }

    @Override
    public Set<Feature> features() {
        return features;
    }

    @Override
    public CachePolicy cachePolicy() {
        return policy;
    }

    @Override
    public boolean readOnly() {
        return true;
    }

    @Override
    public void close() {
        closes.incrementAndGet();
    }

    private static final Name[] NAMES = {Name.DOT, Name.DOTDOT, Name.of("hello"), Name.of("sub"), E9, FF, Name.of("link")};
    private static final long[] INOS = {1, 1, 2, 3, 4, 5, 6};
    private static final int[] TYPES = {FileType.DT_DIR, FileType.DT_DIR, FileType.DT_REG, FileType.DT_DIR,
        FileType.DT_REG, FileType.DT_REG, FileType.DT_LNK};

    @Override
    public Entry lookup(Caller c, long parent, Name name) throws FsException {
        lastCaller = c;
        long ino = 0;
        if (parent == 1) {
            for (int i = 2; i < NAMES.length; i++) if (NAMES[i].equals(name)) ino = INOS[i];
        }
        if (ino == 0) throw FsException.of(Errno.ENOENT);
        lookups.incrementAndGet();
        return new Entry(ino, 0, need(ino), 1_000_000_000L, 1_000_000_000L);
    }

    @Override
    public void forget(long ino, long nlookup) {
        forgets.addAndGet(nlookup);
    }

    @Override
    public void retain(long ino, long n) throws FsException {
        need(ino);
        lookups.addAndGet(n);
    }

    @Override
    public AttrReply getattr(Caller c, long ino, long fh) throws FsException {
        return new AttrReply(need(ino), 1_000_000_000L);
    }

    @Override
    public AttrReply setattr(Caller c, long ino, SetAttr changes) throws FsException {
        lastSetattr = changes;
        throw FsException.of(Errno.EROFS);
    }

    @Override
    public byte[] readlink(Caller c, long ino) throws FsException {
        if (!need(ino).isSymlink()) throw FsException.of(Errno.EINVAL);
        return LINK_TARGET.clone();
    }

    @Override
    public Entry mknod(Caller c, long parent, Name name, int mode, int rdev, int umask) throws FsException {
        lastCaller = c;
        throw FsException.of(Errno.EROFS);
    }

    @Override
    public Entry mkdir(Caller c, long parent, Name name, int mode, int umask) throws FsException {
        lastCaller = c;
        throw FsException.of(Errno.EROFS);
    }

    @Override
    public Entry symlink(Caller c, long parent, Name name, byte[] target) throws FsException {
        lastSymlinkTarget = target.clone();
        throw FsException.of(Errno.EROFS);
    }

    @Override
    public Entry link(Caller c, long ino, long newParent, Name newName) throws FsException {
        throw FsException.of(Errno.EROFS);
    }

    @Override
    public void unlink(Caller c, long parent, Name name) throws FsException {
        throw FsException.of(Errno.EROFS);
    }

    @Override
    public void rmdir(Caller c, long parent, Name name) throws FsException {
        throw FsException.of(Errno.EROFS);
    }

    @Override
    public void rename(Caller c, long parent, Name name, long newParent, Name newName, int flags) throws FsException {
        throw FsException.of(Errno.EROFS);
    }

    @Override
    public Opened open(Caller c, long ino, int flags) throws FsException {
        if (need(ino).isDirectory()) throw FsException.of(Errno.EISDIR);
        return Opened.of(7, 0);
    }

    @Override
    public Created create(Caller c, long parent, Name name, int mode, int flags, int umask) throws FsException {
        throw FsException.of(Errno.EROFS);
    }

    private static byte[] content(long ino) throws FsException {
        return switch ((int) ino) {
            case 2 -> HELLO;
            case 4 -> "e9\n".getBytes(StandardCharsets.UTF_8);
            case 5 -> "ff\n".getBytes(StandardCharsets.UTF_8);
            default -> throw FsException.of(Errno.EISDIR);
        };
    }

    @Override
    public int read(Caller c, long ino, long fh, long offset, ByteBuffer dst) throws FsException {
        byte[] data = content(ino);
        if (offset >= data.length) return 0;
        int n = (int) Math.min(dst.remaining(), data.length - offset);
        dst.put(data, (int) offset, n);
        return n;
    }

    @Override
    public int write(Caller c, long ino, long fh, long offset, ByteBuffer src, int writeFlags) throws FsException {
        throw FsException.of(Errno.EBADF);
    }

    @Override
    public void release(long ino, long fh, int flags) {}

    /** Claims SEEK_DATA in the default features but, like a lower layer that lacks it, says ENOSYS. */
    @Override
    public long lseek(Caller c, long ino, long fh, long offset, int whence) throws FsException {
        throw FsException.of(Errno.ENOSYS);
    }

    /** ENOSYS for everything: the frontend must not pass it on while the feature is claimed. */
    @Override
    public void fallocate(Caller c, long ino, long fh, int mode, long offset, long length) throws FsException {
        throw FsException.of(Errno.ENOSYS);
    }

    /** ENOSYS from an operation without a feature of its own: the kernel must never see it. */
    @Override
    public void fsync(Caller c, long ino, long fh, boolean datasync) throws FsException {
        throw FsException.of(Errno.ENOSYS);
    }

    @Override
    public void readdir(Caller c, long ino, long fh, long cookie, DirSink sink) throws FsException {
        if (ino == 3) {
            if (cookie < 1 && !sink.add(Name.DOT, 3, FileType.DT_DIR, 1)) return;
            if (cookie < 2) sink.add(Name.DOTDOT, 1, FileType.DT_DIR, 2);
            return;
        }
        for (int i = (int) cookie; i < NAMES.length; i++) {
            if (!sink.add(NAMES[i], INOS[i], TYPES[i], i + 1)) return;
        }
    }

    @Override
    public StatFs statfs(Caller c, long ino) {
        return new StatFs(100, 50, 50, 10, 7, 4096, 255, 4096);
    }

    @Override
    public byte[] getxattr(Caller c, long ino, XattrName name) throws FsException {
        if (ino == 2 && name.equals(X_E9)) return new byte[] {'v', (byte) 0xE9};
        if (ino == 2 && name.equals(X_PLAIN)) return new byte[] {'p'};
        throw FsException.of(Errno.ENODATA);
    }

    @Override
    public List<XattrName> listxattr(Caller c, long ino) throws FsException {
        return ino == 2 ? List.of(X_E9, X_PLAIN) : List.of();
    }

    /**
     * FS_IOC_GETFLAGS: the flags as a 4-byte int (the kernel's fileattr path offers 4 bytes).
     * FS_IOC_MEASURE_VERITY: struct fsverity_digest {u16 alg, u16 size, digest}; the input carries
     * the caller's digest_size, EOVERFLOW if a SHA-256 digest does not fit.
     */
    @Override
    public Ioctl.Reply ioctl(Caller c, long ino, long fh, int cmd, byte[] in, int outSize) throws FsException {
        lastIoctl = "ino=" + ino + " fh=" + fh + " cmd=0x" + Integer.toHexString(cmd) + " in=" + Arrays.toString(in)
                + " out=" + outSize;
        ByteBuffer b;
        switch (cmd) {
            case Ioctl.FS_IOC_GETFLAGS -> {
                if (outSize < 4) throw FsException.of(Errno.EINVAL);
                b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(FLAGS);
            }
            case Ioctl.FS_IOC_MEASURE_VERITY -> {
                if (ino != 2) throw FsException.of(Errno.ENODATA);
                if (in.length < 4) throw FsException.of(Errno.EFAULT);
                int room = Short.toUnsignedInt(ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN).getShort(2));
                if (room < 32) throw FsException.of(Errno.EOVERFLOW);
                b = ByteBuffer.allocate(4 + 32).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 1).putShort((short) 32);
                for (int i = 0; i < 32; i++) b.put((byte) (0xA0 + i));
            }
            default -> throw FsException.of(Errno.ENOTTY);
        }
        return new Ioctl.Reply(0, b.array());
    }
}
