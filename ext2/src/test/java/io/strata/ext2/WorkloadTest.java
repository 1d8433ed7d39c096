package io.strata.ext2;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.Entry;
import io.strata.core.FileSystem;
import io.strata.core.Bytes;
import io.strata.core.FsException;
import io.strata.core.Name;
import io.strata.core.Opened;
import io.strata.core.XattrName;
import io.strata.core.SetAttr;
import io.strata.core.Errno;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Random workloads through the SPI against an in-test model; afterwards e2fsck must be clean and
 * the tree (read by debugfs rdump, and by a fresh mount) must equal the model.
 */
class WorkloadTest {
    Path tmp;

    @BeforeEach
    void setUp() throws Exception {
        TestSupport.assumeE2fsprogs();
        tmp = Files.createTempDirectory(Path.of("/tmp"), "ext2-work");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (tmp != null) TestSupport.deleteTree(tmp);
    }

    static final class FileM {
        byte[] data = new byte[0];
        int mode = 0644;
        Map<String, byte[]> xattrs = new TreeMap<>();
    }

    /** path -> FileM (regular, possibly shared = hard links), String (symlink target), or Integer (dir mode). */
    final TreeMap<String, Object> model = new TreeMap<>();
    Ext2FileSystem fs;
    final Caller root = Caller.ROOT;

    long resolve(String path) throws FsException {
        long ino = FileSystem.ROOT;
        if (path.isEmpty()) return ino;
        for (String part : path.split("/")) {
            Entry e = fs.lookup(root, ino, Name.of(part));
            fs.forget(e.ino(), 1);
            ino = e.ino();
        }
        return ino;
    }

    static String parent(String p) {
        int i = p.lastIndexOf('/');
        return i < 0 ? "" : p.substring(0, i);
    }

    static Name base(String p) {
        return Name.of(p.substring(p.lastIndexOf('/') + 1));
    }

    List<String> paths(Class<?> type) {
        return model.entrySet().stream().filter(e -> type.isInstance(e.getValue())).map(Map.Entry::getKey).toList();
    }

    List<String> dirs() {
        List<String> d = new ArrayList<>(paths(Integer.class));
        d.add("");
        return d;
    }

    static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    void writeFile(long ino, long off, byte[] data) throws FsException {
        Opened o = fs.open(root, ino, 2);
        try {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) fs.write(root, ino, o.fh(), off + b.position(), b, 0);
        } finally {
            fs.release(ino, o.fh(), 0);
        }
    }

    static byte[] apply(byte[] old, long off, byte[] data) {
        byte[] n = Arrays.copyOf(old, (int) Math.max(old.length, off + data.length));
        System.arraycopy(data, 0, n, (int) off, data.length);
        return n;
    }

    int nameSeq;

    String newName(Random r, String dir) {
        String n = (r.nextInt(4) == 0 ? "long-name-" + "x".repeat(r.nextInt(150)) : "n") + (nameSeq++);
        return dir.isEmpty() ? n : dir + "/" + n;
    }

    int lastOp;

    void step(Random r) throws Exception {
        List<String> files = paths(FileM.class);
        List<String> dirs = dirs();
        int op = r.nextInt(16);
        lastOp = op;
        switch (op) {
            case 0, 1 -> { // create
                String p = newName(r, dirs.get(r.nextInt(dirs.size())));
                int size = r.nextInt(10) == 0 ? r.nextInt(2_000_000) : r.nextInt(20_000);
                byte[] data = randomBytes(r, size);
                Created c = fs.create(root, resolve(parent(p)), base(p), 0644, 2, 022);
                ByteBuffer b = ByteBuffer.wrap(data);
                while (b.hasRemaining()) fs.write(root, c.entry().ino(), c.opened().fh(), b.position(), b, 0);
                fs.release(c.entry().ino(), c.opened().fh(), 0);
                fs.forget(c.entry().ino(), 1);
                FileM f = new FileM();
                f.data = data;
                model.put(p, f);
            }
            case 2 -> { // overwrite/extend at an offset (maybe leaving a hole)
                if (files.isEmpty()) return;
                String p = files.get(r.nextInt(files.size()));
                FileM f = (FileM) model.get(p);
                long off = r.nextInt(f.data.length + 100_000);
                byte[] data = randomBytes(r, r.nextInt(50_000));
                writeFile(resolve(p), off, data);
                f.data = apply(f.data, off, data);
            }
            case 3 -> { // append via O_APPEND
                if (files.isEmpty()) return;
                String p = files.get(r.nextInt(files.size()));
                FileM f = (FileM) model.get(p);
                byte[] data = randomBytes(r, r.nextInt(10_000));
                long ino = resolve(p);
                Opened o = fs.open(root, ino, 2 | 02000);
                fs.write(root, ino, o.fh(), 0, ByteBuffer.wrap(data), 0);
                fs.release(ino, o.fh(), 0);
                f.data = apply(f.data, f.data.length, data);
            }
            case 4 -> { // truncate
                if (files.isEmpty()) return;
                String p = files.get(r.nextInt(files.size()));
                FileM f = (FileM) model.get(p);
                int size = r.nextInt(f.data.length + 30_000);
                fs.setattr(root, resolve(p), SetAttr.size(size));
                f.data = Arrays.copyOf(f.data, size);
            }
            case 5 -> { // rename a file, maybe over another file
                if (files.isEmpty()) return;
                String from = files.get(r.nextInt(files.size()));
                String to = r.nextBoolean() && files.size() > 1 ? files.get(r.nextInt(files.size()))
                        : newName(r, dirs.get(r.nextInt(dirs.size())));
                fs.rename(root, resolve(parent(from)), base(from), resolve(parent(to)), base(to), 0);
                Object o = model.remove(from);
                if (model.get(to) == o) model.put(from, o); // two names of one inode: rename does nothing
                else model.put(to, o);
            }
            case 6 -> { // unlink
                if (files.isEmpty()) return;
                String p = files.get(r.nextInt(files.size()));
                fs.unlink(root, resolve(parent(p)), base(p));
                model.remove(p);
            }
            case 7 -> { // mkdir
                String p = newName(r, dirs.get(r.nextInt(dirs.size())));
                Entry e = fs.mkdir(root, resolve(parent(p)), base(p), 0755, 022);
                fs.forget(e.ino(), 1);
                model.put(p, 0755);
            }
            case 8 -> { // rmdir an empty dir, or expect ENOTEMPTY
                List<String> ds = paths(Integer.class);
                if (ds.isEmpty()) return;
                String p = ds.get(r.nextInt(ds.size()));
                boolean empty = model.keySet().stream().noneMatch(k -> k.startsWith(p + "/"));
                try {
                    fs.rmdir(root, resolve(parent(p)), base(p));
                    assertTrue(empty, "rmdir of non-empty " + p + " succeeded");
                    model.remove(p);
                } catch (FsException e) {
                    assertEquals(Errno.ENOTEMPTY, e.errno());
                    assertFalse(empty);
                }
            }
            case 9 -> { // hard link
                if (files.isEmpty()) return;
                String p = files.get(r.nextInt(files.size()));
                String to = newName(r, dirs.get(r.nextInt(dirs.size())));
                Entry e = fs.link(root, resolve(p), resolve(parent(to)), base(to));
                fs.forget(e.ino(), 1);
                model.put(to, model.get(p));
            }
            case 10 -> { // symlink
                String p = newName(r, dirs.get(r.nextInt(dirs.size())));
                String target = r.nextBoolean() ? "t" + r.nextInt(1000) : "long/" + "z".repeat(60 + r.nextInt(200));
                Entry e = fs.symlink(root, resolve(parent(p)), base(p), Bytes.utf8(target));
                fs.forget(e.ino(), 1);
                model.put(p, target);
            }
            case 11 -> { // xattr set/remove
                if (files.isEmpty()) return;
                String p = files.get(r.nextInt(files.size()));
                FileM f = (FileM) model.get(p);
                String name = "user.k" + r.nextInt(4);
                if (r.nextInt(3) == 0 && f.xattrs.containsKey(name)) {
                    fs.removexattr(root, resolve(p), XattrName.of(name));
                    f.xattrs.remove(name);
                } else {
                    byte[] v = randomBytes(r, r.nextInt(200));
                    fs.setxattr(root, resolve(p), XattrName.of(name), v, 0);
                    f.xattrs.put(name, v);
                }
            }
            case 12 -> { // rename a directory to another parent
                List<String> ds = paths(Integer.class);
                if (ds.isEmpty()) return;
                String from = ds.get(r.nextInt(ds.size()));
                String toDir = dirs.get(r.nextInt(dirs.size()));
                String to = newName(r, toDir);
                try {
                    fs.rename(root, resolve(parent(from)), base(from), resolve(toDir), base(to), 0);
                } catch (FsException e) {
                    assertEquals(Errno.EINVAL, e.errno()); // into itself
                    assertTrue(toDir.equals(from) || toDir.startsWith(from + "/"));
                    return;
                }
                TreeMap<String, Object> moved = new TreeMap<>();
                for (var it = model.entrySet().iterator(); it.hasNext(); ) {
                    var en = it.next();
                    if (en.getKey().equals(from) || en.getKey().startsWith(from + "/")) {
                        moved.put(to + en.getKey().substring(from.length()), en.getValue());
                        it.remove();
                    }
                }
                model.putAll(moved);
            }
            case 13 -> { // open, unlink, write while open, release: the orphan is freed
                if (files.isEmpty()) return;
                String p = files.get(r.nextInt(files.size()));
                long ino = resolve(p);
                Opened o = fs.open(root, ino, 2);
                fs.unlink(root, resolve(parent(p)), base(p));
                FileM f = (FileM) model.remove(p);
                byte[] data = randomBytes(r, 5000);
                fs.write(root, ino, o.fh(), 0, ByteBuffer.wrap(data), 0);
                f.data = apply(f.data, 0, data); // other hard links see it
                fs.release(ino, o.fh(), 0);
            }
            case 14 -> { // chmod
                if (files.isEmpty()) return;
                String p = files.get(r.nextInt(files.size()));
                int mode = r.nextBoolean() ? 0600 : 0755;
                fs.setattr(root, resolve(p), SetAttr.mode(mode));
                ((FileM) model.get(p)).mode = mode;
            }
            case 15 -> { // exchange two files
                if (files.size() < 2) return;
                String a = files.get(r.nextInt(files.size())), b = files.get(r.nextInt(files.size()));
                fs.rename(root, resolve(parent(a)), base(a), resolve(parent(b)), base(b), FileSystem.RENAME_EXCHANGE);
                Object oa = model.get(a), ob = model.get(b);
                model.put(a, ob);
                model.put(b, oa);
            }
            default -> throw new AssertionError();
        }
    }

    Map<String, String> expected(boolean withLinks) throws Exception {
        Map<String, String> out = new TreeMap<>();
        Map<FileM, String> first = new IdentityHashMap<>();
        Map<FileM, Integer> count = new IdentityHashMap<>();
        for (Object o : model.values()) if (o instanceof FileM f) count.merge(f, 1, Integer::sum);
        for (var e : model.entrySet()) {
            Object o = e.getValue();
            if (o instanceof Integer m) out.put(e.getKey(), "d " + Integer.toOctalString(m));
            else if (o instanceof String t) out.put(e.getKey(), "l " + t);
            else {
                FileM f = (FileM) o;
                String d = "f " + Integer.toOctalString(f.mode) + " " + TestSupport.sha(f.data);
                if (withLinks && count.get(f) > 1) d += " link:" + first.computeIfAbsent(f, x -> e.getKey());
                out.put(e.getKey(), d);
            }
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({"1024,128,1", "4096,256,2", "2048,256,3"})
    void randomWorkload(int bs, int isz, long seed) throws Exception {
        Path img = tmp.resolve("img");
        TestSupport.mke2fs(img, "64M", bs, isz, null);
        Random r = new Random(seed);
        fs = Ext2FileSystem.open(img, Ext2Options.defaults());
        for (int i = 0; i < 600; i++) {
            step(r);
            if (Boolean.getBoolean("ext2.debugWorkload")) {
                try {
                    TestSupport.assertSameTree(expected(true), TestSupport.snapshot(fs));
                } catch (AssertionError e) {
                    throw new AssertionError("after step " + i + " op " + lastOp + ": " + e.getMessage());
                }
            }
        }
        fs.close();
        TestSupport.Result ck = TestSupport.fsck(img);
        assertEquals(0, ck.code(), ck.out());
        Path dump = tmp.resolve("dump");
        TestSupport.rdump(img, dump);
        TestSupport.assertSameTree(expected(false), TestSupport.snapshot(dump, false));
        fs = Ext2FileSystem.open(img, Ext2Options.readOnlyDefaults());
        try {
            TestSupport.assertSameTree(expected(true), TestSupport.snapshot(fs));
            for (var e : model.entrySet()) {
                if (!(e.getValue() instanceof FileM f)) continue;
                long ino = resolve(e.getKey());
                List<String> names = fs.listxattr(root, ino).stream().map(XattrName::toString).toList();
                assertEquals(new TreeSet<>(f.xattrs.keySet()), new TreeSet<>(names), e.getKey());
                for (var x : f.xattrs.entrySet()) assertArrayEquals(x.getValue(), fs.getxattr(root, ino, XattrName.of(x.getKey())));
            }
        } finally {
            fs.close();
        }
    }

    @Test
    void fillToEnospcStaysConsistent() throws Exception {
        Path img = tmp.resolve("img");
        TestSupport.mke2fs(img, "8M", 1024, 128, null);
        Random r = new Random(7);
        fs = Ext2FileSystem.open(img, Ext2Options.defaults());
        int created = 0;
        boolean full = false;
        for (int i = 0; i < 100_000 && !full; i++) {
            String p = i % 10 == 0 ? "d" + i : (dirs().get(r.nextInt(dirs().size())) + "/f" + i).replaceFirst("^/", "");
            try {
                if (i % 10 == 0) {
                    fs.forget(fs.mkdir(root, FileSystem.ROOT, Name.of(p), 0755, 0).ino(), 1);
                    model.put(p, 0755);
                    continue;
                }
                Created c = fs.create(root, resolve(parent(p)), base(p), 0644, 2, 0);
                FileM f = new FileM();
                model.put(p, f);
                created++;
                byte[] data = randomBytes(r, r.nextInt(300_000));
                ByteBuffer b = ByteBuffer.wrap(data);
                try {
                    while (b.hasRemaining()) fs.write(root, c.entry().ino(), c.opened().fh(), b.position(), b, 0);
                } catch (FsException e) {
                    assertEquals(Errno.ENOSPC, e.errno());
                    full = true;
                } finally {
                    f.data = Arrays.copyOf(data, b.position());
                    fs.release(c.entry().ino(), c.opened().fh(), 0);
                    fs.forget(c.entry().ino(), 1);
                }
            } catch (FsException e) {
                assertEquals(Errno.ENOSPC, e.errno(), e.getMessage());
                full = true;
            }
        }
        assertTrue(full && created > 5);
        // metadata operations at ENOSPC fail cleanly or succeed
        for (int i = 0; i < 50; i++) {
            try {
                fs.forget(fs.mkdir(root, FileSystem.ROOT, Name.of("late" + i), 0755, 0).ino(), 1);
                model.put("late" + i, 0755);
            } catch (FsException e) {
                assertEquals(Errno.ENOSPC, e.errno());
            }
            try {
                fs.forget(fs.symlink(root, FileSystem.ROOT, Name.of("ls" + i), Bytes.utf8("q".repeat(300))).ino(), 1);
                model.put("ls" + i, "q".repeat(300));
            } catch (FsException e) {
                assertEquals(Errno.ENOSPC, e.errno());
            }
        }
        fs.close();
        TestSupport.Result ck = TestSupport.fsck(img);
        assertEquals(0, ck.code(), ck.out());
        // delete half, write again, still consistent
        fs = Ext2FileSystem.open(img, Ext2Options.defaults());
        List<String> files = paths(FileM.class);
        for (int i = 0; i < files.size(); i += 2) {
            fs.unlink(root, resolve(parent(files.get(i))), base(files.get(i)));
            model.remove(files.get(i));
        }
        assertTrue(fs.statfs(root, FileSystem.ROOT).bfree() > 100);
        fs.close();
        ck = TestSupport.fsck(img);
        assertEquals(0, ck.code(), ck.out());
        Path dump = tmp.resolve("dump");
        TestSupport.rdump(img, dump);
        TestSupport.assertSameTree(expected(false), TestSupport.snapshot(dump, false));
    }
}
