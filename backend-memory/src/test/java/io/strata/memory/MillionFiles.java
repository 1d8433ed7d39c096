package io.strata.memory;

import io.strata.core.OpenFlags;
import io.strata.core.CacheMode;
import io.strata.core.Caller;
import io.strata.core.Created;
import io.strata.core.FileSystem;
import io.strata.core.Name;

/**
 * Run in a forked JVM (-Xmx256m) by {@link MemoryFootprintTest}: creates {@code dirs} x {@code files}
 * empty files through the SPI, then prints "bytesPerFile=N" (heap growth after a full GC divided by
 * the file count). Exits non-zero on any failure, including OutOfMemoryError.
 */
public final class MillionFiles {
    public static void main(String[] args) throws Exception {
        int dirs = Integer.parseInt(args[0]), files = Integer.parseInt(args[1]);
        long before = usedHeap();
        MemoryFileSystem fs = new MemoryFileSystem(new MemoryOptions(1L << 40, 2L * dirs * files, CacheMode.EXCLUSIVE,
                0, 0, 0755));
        Caller c = Caller.ROOT;
        long t0 = System.nanoTime();
        int n = 0;
        for (int d = 0; d < dirs; d++) {
            long dir = fs.mkdir(c, FileSystem.ROOT, Name.of("d" + d), 0755, 022).ino();
            for (int f = 0; f < files; f++) {
                Created cr = fs.create(c, dir, Name.of("f" + (n++)), 0644, OpenFlags.O_RDWR, 022);
                fs.release(cr.entry().ino(), cr.opened().fh(), 0);
            }
        }
        long t1 = System.nanoTime();
        long after = usedHeap();
        // sanity: the tree is really there
        long dir = fs.lookup(c, FileSystem.ROOT, Name.of("d" + (dirs - 1))).ino();
        fs.lookup(c, dir, Name.of("f" + (n - 1)));
        int[] count = {0};
        fs.readdir(c, dir, 0, 0, (name, ino, type, next) -> ++count[0] > 0);
        if (count[0] != files + 2) throw new AssertionError("listing has " + count[0] + " entries");
        System.out.println("files=" + n + " seconds=" + (t1 - t0) / 1e9);
        System.out.println("bytesPerFile=" + (after - before) / n);
        System.out.println("inodes=" + fs.inodeCount() + " used=" + fs.usedBytes());
        if (fs.inodeCount() < n) throw new AssertionError();
    }

    static long usedHeap() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }
}
