package io.strata.union;

import static io.strata.core.FileType.S_IFCHR;
import static io.strata.core.FileType.S_IFMT;
import static io.strata.union.Stack.ROOT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.core.Attr;
import io.strata.core.Caller;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.Feature;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.core.ForwardingFileSystem;
import io.strata.core.Name;
import io.strata.core.XattrName;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * An upper that cannot make device nodes (like an unprivileged host directory): whiteouts take the
 * xattr form, a zero-size file with overlay.whiteout in a directory marked opaque="x", and the
 * union still hides, lists and removes correctly.
 */
class XattrWhiteoutUpperTest {
    static final long R = FileSystem.ROOT;

    /** Refuses mknod of character devices, as a host does without CAP_MKNOD. */
    static final class NoDevices extends ForwardingFileSystem {
        NoDevices(FileSystem lower) {
            super(lower);
        }

        @Override
        public Set<Feature> features() {
            Set<Feature> f = EnumSet.copyOf(super.features());
            f.remove(Feature.DEVICE_NODES);
            f.remove(Feature.RENAME_WHITEOUT);
            return f;
        }

        @Override
        public Entry mknod(Caller c, long parent, Name name, int mode, int rdev, int umask) throws FsException {
            if ((mode & S_IFMT) == S_IFCHR) throw FsException.of(Errno.EPERM);
            return super.mknod(c, parent, name, mode, rdev, umask);
        }
    }

    /** An upper without RENAME_EXCHANGE and RENAME_WHITEOUT (the fallback paths), devices allowed. */
    static final class NoExchange extends ForwardingFileSystem {
        NoExchange(FileSystem lower) {
            super(lower);
        }

        @Override
        public Set<Feature> features() {
            Set<Feature> f = EnumSet.copyOf(super.features());
            f.remove(Feature.RENAME_EXCHANGE);
            f.remove(Feature.RENAME_WHITEOUT);
            return f;
        }

        @Override
        public void rename(Caller c, long parent, Name name, long newParent, Name newName, int flags) throws FsException {
            if ((flags & (RENAME_EXCHANGE | RENAME_WHITEOUT)) != 0) throw FsException.of(Errno.EINVAL);
            super.rename(c, parent, name, newParent, newName, flags);
        }
    }

    @Test
    void withoutExchangeRmdirAndMkdirOverWhiteoutsStillWork() throws Exception {
        try (Stack st = new Stack(1)) {
            FileSystem lower = st.lowers.get(0);
            Stack.put(lower, R, "d/a", "1");
            Stack.put(lower, R, "f", "2");
            NoExchange upperFs = new NoExchange(st.upperFs);
            UnionFileSystem u = st.open(UnionOptions.of(List.of(UnionLayer.of(lower)),
                    new UnionLayer(upperFs, st.upperDir), new UnionLayer(upperFs, st.workDir)));
            long d = Stack.find(u, R, "d").ino();
            u.unlink(ROOT, d, Name.of("a"));
            u.mkdir(ROOT, d, Name.of("a"), io.strata.core.FileType.S_IFDIR | 0755, 0); // over a whiteout
            assertEquals(List.of("a"), Stack.list(u, d));
            u.rmdir(ROOT, d, Name.of("a"));
            u.rmdir(ROOT, R, Name.of("d")); // a copied-up merged dir: emptied, then a whiteout
            u.rename(ROOT, R, Name.of("f"), R, Name.of("g"), 0);
            assertEquals(List.of("g"), Stack.list(u, R));
            for (String n : List.of("d", "f")) {
                Attr a = Stack.find(st.upperFs, st.upperDir, n).attr();
                assertEquals(S_IFCHR, a.mode() & S_IFMT, n + " is a whiteout");
            }
            assertEquals(List.of(), Stack.list(st.upperFs, Stack.find(st.upperFs, st.workDir, "work").ino()));
        }
    }

    @Test
    void xattrWhiteoutsWhereDevicesAreRefused() throws Exception {
        try (Stack st = new Stack(1)) {
            FileSystem lower = st.lowers.get(0);
            Stack.put(lower, R, "d/a", "1");
            Stack.put(lower, R, "d/b", "2");
            Stack.put(lower, R, "top", "3");
            NoDevices upperFs = new NoDevices(st.upperFs);
            UnionFileSystem u = st.open(UnionOptions.of(List.of(UnionLayer.of(lower)),
                    new UnionLayer(upperFs, st.upperDir), new UnionLayer(upperFs, st.workDir)));
            long d = Stack.find(u, R, "d").ino();
            u.unlink(ROOT, d, Name.of("a"));
            u.rename(ROOT, R, Name.of("top"), d, Name.of("moved"), 0);
            assertEquals(Set.of("b", "moved"), Set.copyOf(Stack.list(u, d)));
            assertEquals(List.of("d"), Stack.list(u, R));
            Entry wa = Stack.find(st.upperFs, st.upperDir, "d/a");
            Attr a = wa.attr();
            assertTrue(a.isRegular() && a.size() == 0, "the xattr form: an empty regular file");
            st.upperFs.getxattr(ROOT, wa.ino(), XattrName.of("trusted.overlay.whiteout"));
            long ud = Stack.find(st.upperFs, st.upperDir, "d").ino();
            assertArrayEquals("x".getBytes(), st.upperFs.getxattr(ROOT, ud, XattrName.of("trusted.overlay.opaque")));
            assertArrayEquals("x".getBytes(), st.upperFs.getxattr(ROOT, st.upperDir,
                    XattrName.of("trusted.overlay.opaque")), "the root got a whiteout for top as well");
            // a fresh union reads the same
            u.close();
            u = st.open(UnionOptions.of(List.of(UnionLayer.of(lower)), new UnionLayer(upperFs, st.upperDir),
                    new UnionLayer(upperFs, st.workDir)));
            long d2 = Stack.find(u, R, "d").ino();
            assertEquals(Set.of("b", "moved"), Set.copyOf(Stack.list(u, d2)));
            u.unlink(ROOT, d2, Name.of("b"));
            u.unlink(ROOT, d2, Name.of("moved"));
            u.rmdir(ROOT, R, Name.of("d"));
            assertEquals(List.of(), Stack.list(u, R));
            FsException e = assertThrows(FsException.class, () -> Stack.find(st.union, R, "d"));
            assertEquals(Errno.ENOENT, e.errno());
        }
    }
}
