package io.strata.verity;

import static org.junit.jupiter.api.Assertions.*;

import io.strata.core.Errno;
import io.strata.core.FsException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link VerifiedFile}'s cold path: windows of {@link VerifiedFile#WINDOW} bytes read in one lower
 * call each and hashed on several threads, straight into a direct (possibly thread-confined)
 * destination or through the scratch window into any other; a bad block anywhere in a window ends
 * the read just before it.
 */
class WindowedReadTest {
    static final int BS = 4096, WINDOW = VerifiedFile.WINDOW;
    final byte[] data = new byte[3 * WINDOW + 5 * BS + 123];
    final byte[] lower;
    final AtomicInteger lowerReads = new AtomicInteger();

    WindowedReadTest() {
        new Random(3).nextBytes(data);
        lower = data.clone();
    }

    VerifiedFile file() throws Exception {
        return new VerifiedFile(7, Digests.tree(VerityParams.defaults(), data));
    }

    int read(VerifiedFile f, long off, ByteBuffer dst) throws FsException {
        return f.read((o, buf) -> {
            lowerReads.incrementAndGet();
            int n = (int) Math.min(buf.remaining(), lower.length - o);
            if (n <= 0) return -1;
            buf.put(lower, (int) o, n);
            return n;
        }, off, dst);
    }

    static byte[] bytes(ByteBuffer b, int n) {
        byte[] out = new byte[n];
        b.get(0, out);
        return out;
    }

    /** Heap, plain direct and confined direct destinations: every thread but the caller is refused the last. */
    void everyKindOfBuffer(int capacity, java.util.function.Consumer<ByteBuffer> test) {
        test.accept(ByteBuffer.allocate(capacity));
        test.accept(ByteBuffer.allocateDirect(capacity));
        try (Arena a = Arena.ofConfined()) {
            test.accept(a.allocate(capacity).asByteBuffer());
        }
    }

    @Test
    void wholeFileInOneCallAcrossWindows() throws Exception {
        everyKindOfBuffer(data.length + 10, dst -> {
            try {
                VerifiedFile f = file();
                lowerReads.set(0);
                assertEquals(data.length, read(f, 0, dst));
                assertArrayEquals(data, bytes(dst, data.length));
                assertEquals(4, lowerReads.get(), "one lower read per window");
                for (long b = 0; b < (data.length + BS - 1) / BS; b++) assertTrue(f.isVerified(b), "block " + b);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void unalignedAndKernelSizedReads() throws Exception {
        VerifiedFile f = file();
        long[][] cases = {{1, 10}, {BS - 1, 2}, {WINDOW - 7, 100}, {WINDOW, WINDOW}, {2 * WINDOW + 5, WINDOW + 3 * BS},
                {data.length - 200, 1000}, {data.length - 1, 1}};
        for (long[] c : cases) {
            everyKindOfBuffer((int) c[1], dst -> {
                try {
                    int want = (int) Math.min(c[1], data.length - c[0]);
                    assertEquals(want, read(file(), c[0], dst), "read at " + c[0]);
                    assertArrayEquals(Arrays.copyOfRange(data, (int) c[0], (int) c[0] + want), bytes(dst, want), "at " + c[0]);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            ByteBuffer again = ByteBuffer.allocate((int) c[1]);
            read(f, c[0], again); // the same file object: blocks verified once stay verified
        }
        assertEquals(0, read(f, data.length, ByteBuffer.allocate(10)));
    }

    @Test
    void aBadBlockInAnyPartOfAWindowEndsTheReadBeforeIt() throws Exception {
        // a block in the caller's half of window 2, one in the pool's half, and the partial last block
        long[] bad = {WINDOW + 3 * BS + 17, 2 * WINDOW + WINDOW - 2 * BS, data.length - 5};
        for (long at : bad) {
            everyKindOfBuffer(data.length, dst -> {
                try {
                    System.arraycopy(data, 0, lower, 0, data.length);
                    lower[(int) at] ^= 1;
                    VerifiedFile f = file();
                    long blockStart = at / BS * BS;
                    assertEquals(blockStart, read(f, 0, dst), "short read before the block holding byte " + at);
                    assertArrayEquals(Arrays.copyOf(data, (int) blockStart), bytes(dst, (int) blockStart));
                    FsException e = assertThrows(FsException.class, () -> read(f, blockStart + 3, ByteBuffer.allocate(10)));
                    assertEquals(Errno.EIO, e.errno());
                    assertFalse(f.isVerified(at / BS), "a bad block is never marked");
                    // the blocks after it still read (a fresh read starting past it)
                    long next = blockStart + BS;
                    if (next < data.length) {
                        ByteBuffer rest = ByteBuffer.allocate((int) (data.length - next));
                        assertEquals(data.length - next, read(f, next, rest));
                        assertArrayEquals(Arrays.copyOfRange(data, (int) next, data.length), rest.array());
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
        }
    }
}
