package io.strata.ext2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

/**
 * Writes an empty ext2 file system (what mke2fs does, without root privileges): rev 1, features
 * sparse_super, large_file, filetype, ext_attr and (unless turned off) dir_index with a random hash
 * seed, half-MD4 and signed-char hashing as mke2fs on x86; groups of 8 * blocksize blocks, each with (if
 * sparse_super says so) a superblock + GDT copy, then block bitmap, inode bitmap and inode table;
 * the root directory. lost+found is created afterwards through the normal driver (see Mkfs).
 */
public final class Layout {
    private Layout() {}

    /**
     * What mke2fs's -L, -N and -m set.
     *
     * @param label           the volume label (at most 16 bytes), or empty
     * @param inodeCount      the inodes wanted (rounded up to fill the groups' inode tables), or 0 for
     *                        one per {@code bytesPerInode}
     * @param reservedPercent the share of blocks reserved for root, 0 to 50
     */
    public record Tuning(byte[] label, long inodeCount, double reservedPercent, boolean dirIndex) {
        public static final Tuning DEFAULT = new Tuning(new byte[0], 0, 5, true);

        public Tuning(byte[] label, long inodeCount, double reservedPercent) {
            this(label, inodeCount, reservedPercent, true);
        }

        public Tuning {
            if (label.length > 16) throw new IllegalArgumentException("a label holds at most 16 bytes");
            if (inodeCount < 0) throw new IllegalArgumentException("inode count must not be negative");
            if (!(reservedPercent >= 0 && reservedPercent <= 50)) throw new IllegalArgumentException("reserved blocks percentage must be 0 to 50");
        }
    }

    /** What was made: for a summary such as mke2fs prints. */
    public record Formatted(long blocks, int blockSize, long inodes, int inodeSize, long groups, long reservedBlocks,
                            long freeBlocks, String uuid, java.util.List<Long> superblockBackups) {}

    /** Creates the image file of {@code bytes} bytes with an empty file system on it. */
    public static Formatted format(Path image, long bytes, int bs, int inodeSize, long bytesPerInode) throws IOException {
        return format(image, bytes, bs, inodeSize, bytesPerInode, Tuning.DEFAULT);
    }

    /** As {@link #format(Path, long, int, int, long)}, with mke2fs's -L, -N and -m. */
    public static Formatted format(Path image, long bytes, int bs, int inodeSize, long bytesPerInode, Tuning tuning) throws IOException {
        if (bs != 1024 && bs != 2048 && bs != 4096) throw new IOException("block size must be 1024, 2048 or 4096");
        if (inodeSize != 128 && inodeSize != 256) throw new IOException("inode size must be 128 or 256");
        long blocks = Math.min(bytes / bs, 0xffffffffL);
        long first = bs == 1024 ? 1 : 0;
        long bpg = 8L * bs;
        if (blocks < 64) throw new IOException("file system too small: " + bytes + " bytes");
        long groups = (blocks - first + bpg - 1) / bpg;
        int descPerBlock = bs / 32;
        int gdtBlocks = (int) ((groups + descPerBlock - 1) / descPerBlock);
        long inodesWanted = Math.max(16, tuning.inodeCount() > 0 ? tuning.inodeCount() : bytes / bytesPerInode);
        int perItBlock = bs / inodeSize;
        long ipg = (inodesWanted + groups - 1) / groups;
        ipg = Math.max(ipg, 16);
        ipg = ((ipg + perItBlock - 1) / perItBlock) * perItBlock;
        ipg = ((ipg + 7) / 8) * 8;
        if (tuning.inodeCount() > 0 && ipg > 8L * bs) {
            throw new IOException(tuning.inodeCount() + " inodes do not fit: at most " + groups * 8L * bs + " with this size and block size");
        }
        ipg = Math.min(ipg, 8L * bs);
        int itBlocks = (int) (ipg * inodeSize / bs);
        // drop a last group too small to hold its own metadata plus some data (as mke2fs does)
        long lastBlocks = blocks - first - (groups - 1) * bpg;
        if (groups > 1 && lastBlocks < 3 + itBlocks + 1 + gdtBlocks + 50) {
            groups--;
            blocks = first + groups * bpg;
        }
        if (groups < 1 || blocks - first < 3L + itBlocks + gdtBlocks + 10) throw new IOException("file system too small");
        long inodes = groups * ipg;
        if (inodes > 0xffffffffL) throw new IOException("too many inodes");

        byte[] sbRaw = new byte[1024];
        Superblock sb = new Superblock(sbRaw);
        ByteBuffer s = ByteBuffer.wrap(sbRaw).order(ByteOrder.LITTLE_ENDIAN);
        long now = System.currentTimeMillis() / 1000;
        s.putInt(0, (int) inodes);
        s.putInt(4, (int) blocks);
        long reserved = (long) (blocks * tuning.reservedPercent() / 100.0);
        s.putInt(8, (int) reserved); // for root (-m; 5% by default)
        s.putInt(20, (int) first);
        s.putInt(24, Integer.numberOfTrailingZeros(bs) - 10);
        s.putInt(28, Integer.numberOfTrailingZeros(bs) - 10);
        s.putInt(32, (int) bpg);
        s.putInt(36, (int) bpg);
        s.putInt(40, (int) ipg);
        s.putInt(48, (int) now);
        s.putShort(52, (short) 0);
        s.putShort(54, (short) -1);
        s.putShort(56, (short) Superblock.MAGIC);
        s.putShort(58, (short) Superblock.STATE_VALID);
        s.putShort(60, (short) 1); // errors: continue
        s.putInt(64, (int) now);
        s.putInt(76, 1); // dynamic revision
        s.putInt(84, 11);
        s.putShort(88, (short) inodeSize);
        s.putInt(92, Features.COMPAT_EXT_ATTR | (tuning.dirIndex() ? Features.COMPAT_DIR_INDEX : 0));
        s.putInt(96, Features.INCOMPAT_FILETYPE);
        s.putInt(100, Features.RO_COMPAT_SPARSE_SUPER | Features.RO_COMPAT_LARGE_FILE);
        SecureRandom rnd = new SecureRandom();
        byte[] uuid = new byte[16];
        rnd.nextBytes(uuid);
        uuid[6] = (byte) ((uuid[6] & 0x0f) | 0x40);
        uuid[8] = (byte) ((uuid[8] & 0x3f) | 0x80);
        s.put(104, uuid);
        s.put(120, tuning.label()); // s_volume_name, NUL-padded
        for (int i = 0; i < 4; i++) s.putInt(236 + 4 * i, rnd.nextInt()); // s_hash_seed
        if (tuning.dirIndex()) {
            s.put(252, (byte) DirHash.HALF_MD4); // s_def_hash_version
            s.putInt(352, Superblock.FLAGS_SIGNED_HASH); // s_flags: how chars enter the hash, fixed at mkfs time
        }
        s.putInt(264, (int) now);
        if (inodeSize > 128) {
            s.putShort(0x15C, (short) 32); // s_min_extra_isize
            s.putShort(0x15E, (short) 32); // s_want_extra_isize
        }

        long[] bbm = new long[(int) groups], ibm = new long[(int) groups], itab = new long[(int) groups];
        int[] freeB = new int[(int) groups], freeI = new int[(int) groups], dirs = new int[(int) groups];
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ)) {
            // never overwrite an image somebody has open read-write (a mount): lock before truncating
            io.strata.core.HostLocks.lockExclusive(ch, image, "image " + image);
            ch.truncate(0);
            write(ch, new byte[1], bytes - 1); // sparse file of the full size
            long rootBlock = -1;
            for (int g = 0; g < groups; g++) {
                long start = first + (long) g * bpg;
                int gBlocks = (int) Math.min(bpg, blocks - start);
                long next = start;
                if (sb.groupHasSuper(g)) next += 1 + gdtBlocks;
                bbm[g] = next++;
                ibm[g] = next++;
                itab[g] = next;
                next += itBlocks;
                int used = (int) (next - start);
                if (g == 0) rootBlock = next++;
                int usedWithRoot = (int) (next - start);
                byte[] map = new byte[bs];
                for (int i = 0; i < usedWithRoot; i++) Bitmap.set(map, i);
                for (int i = gBlocks; i < 8 * bs; i++) Bitmap.set(map, i); // padding
                write(ch, map, bbm[g] * bs);
                freeB[g] = gBlocks - usedWithRoot;
                byte[] imap = new byte[bs];
                int reservedInodes = g == 0 ? 10 : 0;
                for (int i = 0; i < reservedInodes; i++) Bitmap.set(imap, i);
                for (int i = (int) ipg; i < 8 * bs; i++) Bitmap.set(imap, i);
                write(ch, imap, ibm[g] * bs);
                freeI[g] = (int) ipg - reservedInodes;
                write(ch, new byte[itBlocks * bs], itab[g] * bs); // zeroed table (explicit: image may be reused)
                if (used < 0) throw new IOException("layout error");
            }
            dirs[0] = 1;
            // root directory block and inode
            byte[] dir = new byte[bs];
            ByteBuffer d = ByteBuffer.wrap(dir).order(ByteOrder.LITTLE_ENDIAN);
            d.putInt(0, 2).putShort(4, (short) 12).put(6, (byte) 1).put(7, (byte) Directory.FT_DIR).put(8, (byte) '.');
            d.putInt(12, 2).putShort(16, (short) (bs - 12)).put(18, (byte) 2).put(19, (byte) Directory.FT_DIR);
            d.put(20, (byte) '.').put(21, (byte) '.');
            write(ch, dir, rootBlock * bs);
            byte[] ino = new byte[inodeSize];
            ByteBuffer in = ByteBuffer.wrap(ino).order(ByteOrder.LITTLE_ENDIAN);
            in.putShort(0, (short) 040755);
            in.putInt(4, bs);
            in.putInt(8, (int) now).putInt(12, (int) now).putInt(16, (int) now);
            in.putShort(26, (short) 2);
            in.putInt(28, bs / 512);
            in.putInt(40, (int) rootBlock);
            if (inodeSize > 128) in.putShort(128, (short) 32);
            write(ch, ino, itab[0] * bs + (long) inodeSize); // inode 2 = index 1
            long totalFreeB = 0, totalFreeI = 0;
            for (int g = 0; g < groups; g++) {
                totalFreeB += freeB[g];
                totalFreeI += freeI[g];
            }
            s.putInt(12, (int) totalFreeB);
            s.putInt(16, (int) totalFreeI);
            byte[] gdt = new byte[gdtBlocks * bs];
            ByteBuffer gb = ByteBuffer.wrap(gdt).order(ByteOrder.LITTLE_ENDIAN);
            for (int g = 0; g < groups; g++) {
                int o = g * 32;
                gb.putInt(o, (int) bbm[g]).putInt(o + 4, (int) ibm[g]).putInt(o + 8, (int) itab[g]);
                gb.putShort(o + 12, (short) freeB[g]).putShort(o + 14, (short) freeI[g]).putShort(o + 16, (short) dirs[g]);
            }
            for (int g = 0; g < groups; g++) {
                if (!sb.groupHasSuper(g)) continue;
                long start = first + (long) g * bpg;
                write(ch, g == 0 ? sbRaw : sb.backupCopy(g), g == 0 ? 1024 : start * bs);
                write(ch, gdt, (start + 1) * bs);
            }
            ch.force(true);
            java.util.List<Long> backups = new java.util.ArrayList<>();
            for (int g = 1; g < groups; g++) if (sb.groupHasSuper(g)) backups.add(first + (long) g * bpg);
            return new Formatted(blocks, bs, inodes, inodeSize, groups, reserved, totalFreeB, uuidString(uuid), backups);
        }
    }

    private static String uuidString(byte[] u) {
        ByteBuffer b = ByteBuffer.wrap(u);
        return new java.util.UUID(b.getLong(0), b.getLong(8)).toString();
    }

    private static void write(FileChannel ch, byte[] b, long pos) throws IOException {
        ByteBuffer src = ByteBuffer.wrap(b);
        while (src.hasRemaining()) pos += ch.write(src, pos);
    }
}
