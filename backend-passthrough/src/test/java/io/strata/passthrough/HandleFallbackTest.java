package io.strata.passthrough;

import static io.strata.passthrough.Fixture.ROOT;
import static io.strata.passthrough.Fixture.n;
import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.CacheMode;
import io.strata.core.Entry;
import io.strata.core.Errno;
import io.strata.core.FileSystem;
import io.strata.core.FsException;
import io.strata.passthrough.PassthroughOptions.Handles;
import io.strata.sys.PosixFiles;
import io.strata.sys.SysException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The name_to_handle_at fallback rule: only EOPNOTSUPP and EOVERFLOW mean "this object has no
 * handle" (key it by inode number, pinned); any other error is an error. Errors are injected per
 * host inode through {@link FileHandles.Source}.
 */
class HandleFallbackTest {
    static final long R = FileSystem.ROOT;

    /** The kernel's handles, except for inodes given an errno here (once, or until removed). */
    static final class Failing implements FileHandles.Source {
        final Map<Long, Integer> errnos = new ConcurrentHashMap<>();
        volatile boolean once;
        volatile int rootErrno;

        @Override
        public PosixFiles.FileHandle of(int fd) throws SysException {
            PosixFiles.Stat st = PosixFiles.fstat(fd);
            Integer e = once ? errnos.remove(st.ino()) : errnos.get(st.ino());
            if (e != null) throw new SysException("name_to_handle_at", "injected", e);
            if (rootErrno != 0 && st.isDir()) throw new SysException("name_to_handle_at", "injected", rootErrno);
            return FileHandles.KERNEL.of(fd);
        }
    }

    static PassthroughOptions prefer() {
        return PassthroughOptions.defaults().withMode(CacheMode.EXCLUSIVE).withHandles(Handles.PREFER);
    }

    static long hostIno(Path p) throws IOException {
        return (long) Files.getAttribute(p, "unix:ino");
    }

    @ParameterizedTest
    @ValueSource(ints = {Errno.EOPNOTSUPP, Errno.EOVERFLOW})
    void noHandleMeansPinnedByInodeNumber(int errno) throws Exception {
        Failing src = new Failing();
        try (Fixture f = new Fixture(prefer(), true, src)) {
            assertTrue(f.fs.handlesInUse());
            Path p = Files.writeString(f.src.resolve("nohandle"), "x");
            src.errnos.put(hostIno(p), errno);
            Entry a = f.fs.lookup(ROOT, R, n("nohandle"));
            assertEquals(a.ino(), f.fs.lookup(ROOT, R, n("nohandle")).ino(), "one node for one file");
            // pinned by its O_PATH descriptor: still there after the host deletes it
            Files.delete(p);
            assertEquals(0, f.fs.getattr(ROOT, a.ino(), -1).attr().nlink());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {Errno.EIO, Errno.ENOMEM, Errno.EACCES, Errno.ESTALE, Errno.EBADF})
    void otherErrorsAreErrors(int errno) throws Exception {
        Failing src = new Failing();
        try (Fixture f = new Fixture(prefer(), true, src)) {
            Path p = Files.writeString(f.src.resolve("file"), "x");
            src.errnos.put(hostIno(p), errno);
            int live = f.fs.liveNodes();
            FsException e = assertThrows(FsException.class, () -> f.fs.lookup(ROOT, R, n("file")));
            assertEquals(errno, e.errno());
            assertEquals(live, f.fs.liveNodes(), "no node was made for the failed lookup");
        }
    }

    /**
     * Why: had the failed lookup fallen back to an inode-number key while it held a reference, the
     * next lookup (handle works again) would key the same file by handle: two live nodes, two
     * inode ids, for one file.
     */
    @Test
    void aPassingErrorNeverGivesOneFileTwoNodes() throws Exception {
        Failing src = new Failing();
        src.once = true;
        try (Fixture f = new Fixture(prefer(), true, src)) {
            Path p = Files.writeString(f.src.resolve("file"), "x");
            src.errnos.put(hostIno(p), Errno.EIO);
            assertEquals(Errno.EIO, assertThrows(FsException.class, () -> f.fs.lookup(ROOT, R, n("file"))).errno());
            Entry a = f.fs.lookup(ROOT, R, n("file"));
            Entry b = f.fs.lookup(ROOT, R, n("file"));
            assertEquals(a.ino(), b.ino());
            assertEquals(2, f.fs.liveNodes()); // the root and the file
        }
    }

    @Test
    void theOpenTimeProbeFollowsTheSameRule() throws Exception {
        Failing noExport = new Failing();
        noExport.rootErrno = Errno.EOPNOTSUPP;
        try (Fixture f = new Fixture(prefer(), true, noExport)) {
            assertFalse(f.fs.handlesInUse(), "EOPNOTSUPP: PREFER falls back to inode numbers");
        }
        Failing broken = new Failing();
        broken.rootErrno = Errno.EIO;
        SysException e = assertThrows(SysException.class, () -> new Fixture(prefer(), true, broken).close());
        assertEquals(Errno.EIO, e.errno());
        Failing mandatory = new Failing();
        mandatory.rootErrno = Errno.EOPNOTSUPP;
        SysException m = assertThrows(SysException.class,
                () -> new Fixture(prefer().withHandles(Handles.MANDATORY), true, mandatory).close());
        assertEquals(Errno.EOPNOTSUPP, m.errno());
    }

    @Test
    void theDefaultIsNever() throws Exception {
        assertEquals(Handles.NEVER, PassthroughOptions.defaults().handles());
        assertEquals(Handles.NEVER, new PassthroughOptions(null, null, false, true, false).handles());
        try (Fixture f = new Fixture(PassthroughOptions.defaults())) {
            assertFalse(f.fs.handlesInUse());
        }
    }
}
