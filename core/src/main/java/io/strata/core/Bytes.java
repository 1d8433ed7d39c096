package io.strata.core;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Byte-string helpers for names, symlink targets and xattr names. */
public final class Bytes {
    private Bytes() {}

    /** UTF-8 where valid, every other byte as {@code \xNN}: for logs, never for lookups. */
    public static String display(byte[] b) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b);
        CharBuffer out = CharBuffer.allocate(b.length * 4 + 4);
        while (true) {
            CoderResult r = d.decode(in, out, true);
            if (r.isUnderflow()) break;
            for (int i = 0; i < r.length(); i++) {
                out.append(String.format("\\x%02X", in.get() & 0xff));
            }
        }
        return out.flip().toString();
    }

    /** The UTF-8 bytes of a symlink target or xattr name typed by a person. */
    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
