package io.strata.sys;

import io.strata.core.Errno;
import io.strata.core.Name;
import io.strata.core.XattrName;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.MutableCallSite;
import java.util.function.Supplier;
import java.lang.invoke.VarHandle;

/**
 * Linker plumbing shared by the call facades in this package: symbol lookup, downcall handles that
 * capture errno, and per-thread native scratch memory so that a call allocates nothing on success.
 */
final class Native {
    private Native() {}

    static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** PATH_MAX: the longest path (with its NUL) the kernel accepts. */
    static final int PATH_MAX = 4096;

    /**
     * Per-thread native memory: the errno capture segment, two path slots (a call takes at most two
     * names: rename, link, symlink), two small struct areas and a 4 KiB result buffer (readlink,
     * small xattr values). Each public call uses it only for its own duration and never calls
     * another scratch user while its data is live. Arena.ofAuto lets the GC reclaim it with the
     * thread; a virtual thread has its own (the ThreadLocal follows the virtual thread, not the
     * carrier), and a downcall pins the carrier while it runs.
     */
    static final class Scratch {
        final MemorySegment state;
        final MemorySegment path1, path2;
        /** 256 bytes: statx results (the largest struct a call returns). */
        final MemorySegment struct0;
        /** 256 bytes: argument structs (open_how, timespec[2], file_handle, offsets, pollfd, ...). */
        final MemorySegment struct1;
        final MemorySegment result;
        /** Staging array for Name / XattrName bytes (their arrays are private). */
        final byte[] staging = new byte[Math.max(Name.MAX, XattrName.MAX) + 1];

        Scratch() {
            Arena a = Arena.ofAuto();
            state = a.allocate(CAPTURE);
            MemorySegment all = a.allocate(2L * PATH_MAX + 512 + PATH_MAX, 8);
            path1 = all.asSlice(0, PATH_MAX);
            path2 = all.asSlice(PATH_MAX, PATH_MAX);
            struct0 = all.asSlice(2L * PATH_MAX, 256);
            struct1 = all.asSlice(2L * PATH_MAX + 256, 256);
            result = all.asSlice(2L * PATH_MAX + 512, PATH_MAX);
        }

        /** {@code b} as a C string in {@code slot}: EINVAL if it holds a NUL, ENAMETOOLONG past PATH_MAX. */
        MemorySegment cstr(MemorySegment slot, byte[] b, String call) throws SysException {
            int n = b.length;
            if (n >= PATH_MAX) throw new SysException(call, b, Errno.ENAMETOOLONG);
            for (byte x : b) {
                if (x == 0) throw new SysException(call, b, Errno.EINVAL);
            }
            MemorySegment.copy(b, 0, slot, ValueLayout.JAVA_BYTE, 0, n);
            slot.set(ValueLayout.JAVA_BYTE, n, (byte) 0);
            return slot;
        }

        /** A validated Name (no NUL, at most 255 bytes) as a C string in {@code slot}. */
        MemorySegment cstr(MemorySegment slot, Name name) {
            int n = name.length();
            name.copyTo(staging, 0);
            MemorySegment.copy(staging, 0, slot, ValueLayout.JAVA_BYTE, 0, n);
            slot.set(ValueLayout.JAVA_BYTE, n, (byte) 0);
            return slot;
        }

        MemorySegment cstr(MemorySegment slot, XattrName name) {
            int n = name.length();
            name.copyTo(staging, 0);
            MemorySegment.copy(staging, 0, slot, ValueLayout.JAVA_BYTE, 0, n);
            slot.set(ValueLayout.JAVA_BYTE, n, (byte) 0);
            return slot;
        }

        /** "/proc/self/fd/N" in {@code slot}, without building a String. */
        MemorySegment procFd(MemorySegment slot, int fd) {
            byte[] prefix = PROC_SELF_FD;
            MemorySegment.copy(prefix, 0, slot, ValueLayout.JAVA_BYTE, 0, prefix.length);
            int end = prefix.length + putDecimal(slot, prefix.length, fd);
            slot.set(ValueLayout.JAVA_BYTE, end, (byte) 0);
            return slot;
        }
    }

    private static final byte[] PROC_SELF_FD = "/proc/self/fd/".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Writes the decimal digits of a non-negative int at {@code off}; returns how many. */
    static int putDecimal(MemorySegment seg, long off, int v) {
        if (v < 0) throw new IllegalArgumentException("negative descriptor " + v);
        int digits = 1;
        for (int t = v; t >= 10; t /= 10) digits++;
        for (int i = digits - 1; i >= 0; i--) {
            seg.set(ValueLayout.JAVA_BYTE, off + i, (byte) ('0' + v % 10));
            v /= 10;
        }
        return digits;
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** A downcall whose first parameter is the errno capture segment. */
    static MethodHandle errnoCall(String name, FunctionDescriptor fd) {
        MemorySegment sym = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc lacks " + name));
        return lazy(fd.toMethodType().insertParameterTypes(0, MemorySegment.class), () -> LINKER.downcallHandle(sym, fd, CAPTURE_ERRNO));
    }

    /** A variadic downcall (e.g. ioctl, fcntl, syscall): first variadic argument at index {@code firstVariadic}. */
    static MethodHandle errnoCallVariadic(String name, FunctionDescriptor fd, int firstVariadic) {
        MemorySegment sym = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc lacks " + name));
        return lazy(fd.toMethodType().insertParameterTypes(0, MemorySegment.class),
                () -> LINKER.downcallHandle(sym, fd, CAPTURE_ERRNO, Linker.Option.firstVariadicArg(firstVariadic)));
    }

    /** A downcall that cannot fail (getuid and friends). */
    static MethodHandle plainCall(String name, FunctionDescriptor fd) {
        MemorySegment sym = LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc lacks " + name));
        return lazy(fd.toMethodType(), () -> LINKER.downcallHandle(sym, fd));
    }

    /**
     * A handle of {@code type} that links its downcall on first use. Linking costs ~2 ms a call (it
     * spins bytecode), and the facades declare ~100 calls of which a command uses a few: eager
     * linking was ~0.2 s of every strata start. The call site's target is replaced once, after
     * which the JIT treats it as a constant, so hot calls cost what a direct handle costs.
     */
    static MethodHandle lazy(MethodType type, Supplier<MethodHandle> link) {
        LazyDowncall d = new LazyDowncall(new MutableCallSite(type), link);
        d.site.setTarget(MethodHandles.insertArguments(LINK_AND_INVOKE, 0, d)
                .asCollector(Object[].class, type.parameterCount()).asType(type));
        return d.site.dynamicInvoker();
    }

    private static final class LazyDowncall {
        final MutableCallSite site;
        final Supplier<MethodHandle> link;
        private MethodHandle linked; // guarded by this

        LazyDowncall(MutableCallSite site, Supplier<MethodHandle> link) {
            this.site = site;
            this.link = link;
        }

        synchronized MethodHandle linked() {
            if (linked == null) {
                linked = link.get();
                site.setTarget(linked);
                MutableCallSite.syncAll(new MutableCallSite[] {site});
            }
            return linked;
        }
    }

    private static final MethodHandle LINK_AND_INVOKE;

    static {
        try {
            LINK_AND_INVOKE = MethodHandles.lookup().findStatic(Native.class, "linkAndInvoke",
                    MethodType.methodType(Object.class, LazyDowncall.class, Object[].class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The first call through a lazy handle (a thread that raced it may land here too): link, then call. */
    private static Object linkAndInvoke(LazyDowncall d, Object[] args) throws Throwable {
        return d.linked().invokeWithArguments(args);
    }

    static Scratch scratch() {
        return SCRATCH.get();
    }

    static MemorySegment state() {
        return SCRATCH.get().state;
    }

    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** Turns a Throwable from invokeExact into an unchecked error: handles never throw checked ones. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
