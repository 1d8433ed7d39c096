package io.strata.ninep.wire;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random bytes and mutations of valid messages, seeded: the decoder either returns a message that
 * re-encodes, or throws a {@link MalformedMessageException}. Anything else (an unchecked exception,
 * an OutOfMemoryError from a trusted size) fails.
 */
class FuzzTest {
    static final long SEED = 0x9_2000_1L;

    private static void check(byte[] b, long msize) {
        try {
            Message m = Decoder.decode(ByteBuffer.wrap(b), msize);
            assertNotNull(m);
            Encoder.encode(m); // anything decoded must be encodable again
        } catch (MalformedMessageException expected) {
            if (expected.answerable()) assertTrue(expected.tag() >= 0 && expected.tag() <= 0xFFFF);
        } catch (Throwable t) {
            fail("decoder threw " + t + " for " + java.util.HexFormat.of().formatHex(b), t);
        }
    }

    @Test
    void randomBytes() {
        SplittableRandom r = new SplittableRandom(SEED);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[r.nextInt(64)];
            for (int j = 0; j < b.length; j++) b[j] = (byte) r.nextInt(256);
            if (b.length >= 5 && r.nextBoolean()) { // a plausible header makes the body parsers run
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(0, b.length);
                b[4] = (byte) (r.nextBoolean() ? 7 + r.nextInt(121) : r.nextInt(256));
            }
            check(b, 1 << 20);
        }
    }

    @Test
    void mutatedValidMessages() {
        SplittableRandom r = new SplittableRandom(SEED + 1);
        List<Message> samples = Samples.all();
        int decodedIntact = 0;
        for (int i = 0; i < 40_000; i++) {
            byte[] b = Samples.bytes(samples.get(r.nextInt(samples.size()))).clone();
            int mutations = 1 + r.nextInt(4);
            for (int k = 0; k < mutations; k++) {
                switch (r.nextInt(4)) {
                    case 0 -> b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                    case 1 -> b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                    case 2 -> b = java.util.Arrays.copyOf(b, r.nextInt(b.length + 1)); // truncate
                    default -> { // grow with junk, keep or fix the size field
                        byte[] g = java.util.Arrays.copyOf(b, b.length + 1 + r.nextInt(16));
                        for (int j = b.length; j < g.length; j++) g[j] = (byte) r.nextInt(256);
                        b = g;
                    }
                }
                if (b.length == 0) break;
            }
            if (b.length >= 4 && r.nextInt(3) == 0) ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(0, b.length);
            check(b, r.nextBoolean() ? 1 << 20 : 64);
            decodedIntact++;
        }
        assertEquals(40_000, decodedIntact);
    }
}
