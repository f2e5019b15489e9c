package io.unum.agent.image;

import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which pages of a post-copy restore never arrived: the lazy ranges of the image (CRIU's
 * {@code pagemap-<pid>.img}: a magic pair, then length-prefixed protobuf records, a head and one
 * {@code pagemap_entry} per range, flag {@code PE_LAZY} for the pages a post-copy restore fetches)
 * against the pages each restored task has ({@code /proc/<pid>/pagemap}: bit 63 present, bit 62
 * swapped). Read while the tree is stopped, right after its pages daemon failed.
 */
final class MissingPages {
    private static final int IMG_COMMON_MAGIC = 0x54564319;
    private static final int PAGEMAP_MAGIC = 0x56084025;
    private static final int PE_LAZY = 1 << 1;
    private static final long PAGE = 4096;
    private static final Pattern PAGEMAP_FILE = Pattern.compile("pagemap-(\\d+)\\.img");

    /** A range of pages of one task (its pid inside the process's namespace, as the image numbers it). */
    record Range(int pid, long vaddr, long pages) {
        @Override
        public String toString() {
            return "task " + pid + " " + Long.toHexString(vaddr) + "-" + Long.toHexString(vaddr + pages * PAGE);
        }
    }

    /** What did not arrive, and of how much that was to arrive. */
    record Report(List<Range> missing, long lazyPages) {
        long missingPages() {
            return missing.stream().mapToLong(Range::pages).sum();
        }

        /** For a person: how many pages of how many, and the first ranges. */
        String describe() {
            StringBuilder s = new StringBuilder().append(missingPages()).append(" of its ").append(lazyPages)
                    .append(" lazily restored pages (4 KiB) had not arrived, in ").append(missing.size()).append(" ranges");
            if (!missing.isEmpty()) {
                s.append(": ").append(String.join(", ", missing.stream().limit(4).map(Range::toString).toList()));
                if (missing.size() > 4) {
                    s.append(", …");
                }
            }
            return s.toString();
        }
    }

    private MissingPages() {
    }

    /**
     * The lazy ranges (read from the image when its restore began) whose pages the restored tasks do not have.
     * hostPids: each task's pid inside the namespace to its pid on this host.
     */
    static Report of(List<Range> lazy, Map<Integer, Integer> hostPids) throws IOException {
        List<Range> missing = new ArrayList<>();
        long total = 0;
        for (Range r : lazy) {
            total += r.pages();
            Integer host = hostPids.get(r.pid());
            if (host == null) {
                missing.add(r); // the task is gone: none of its pages are anywhere
                continue;
            }
            missing.addAll(absent(host, r));
        }
        return new Report(missing, total);
    }

    /** The PE_LAZY ranges of every task's pagemap in the image. */
    static List<Range> lazyRanges(Path criuDir) throws IOException {
        List<Range> ranges = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(criuDir, "pagemap-*.img")) {
            for (Path f : files) {
                Matcher m = PAGEMAP_FILE.matcher(f.getFileName().toString());
                if (m.matches()) {
                    ranges.addAll(lazyRanges(Integer.parseInt(m.group(1)), Files.readAllBytes(f)));
                }
            }
        }
        ranges.sort((a, b) -> a.pid() != b.pid() ? Integer.compare(a.pid(), b.pid()) : Long.compareUnsigned(a.vaddr(), b.vaddr()));
        return ranges;
    }

    static List<Range> lazyRanges(int pid, byte[] image) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 8 || b.getInt() != IMG_COMMON_MAGIC || b.getInt() != PAGEMAP_MAGIC) {
            throw new IOException("not a CRIU pagemap image");
        }
        List<Range> ranges = new ArrayList<>();
        boolean head = true;
        while (b.remaining() >= 4) {
            int size = b.getInt();
            if (size < 0 || size > b.remaining()) {
                throw new IOException("a truncated pagemap record");
            }
            byte[] record = new byte[size];
            b.get(record);
            if (head) {
                head = false; // pagemap_head: which pages-<id>.img holds the pages
                continue;
            }
            Range r = entry(pid, record);
            if (r != null) {
                ranges.add(r);
            }
        }
        return ranges;
    }

    /** A pagemap_entry {vaddr = 1, compat_nr_pages = 2, in_parent = 3, flags = 4, nr_pages = 5}, if it is lazy. */
    private static Range entry(int pid, byte[] record) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(record);
        long vaddr = 0;
        long compatPages = 0;
        long pages = 0;
        int flags = 0;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (tag >>> 3) {
                case 1 -> vaddr = in.readUInt64();
                case 2 -> compatPages = Integer.toUnsignedLong(in.readUInt32());
                case 4 -> flags = in.readUInt32();
                case 5 -> pages = in.readUInt64();
                default -> in.skipField(tag);
            }
        }
        long n = pages != 0 ? pages : compatPages;
        return (flags & PE_LAZY) != 0 && n > 0 ? new Range(pid, vaddr, n) : null;
    }

    /** The sub-ranges of r that host pid has neither in memory nor in swap. */
    private static List<Range> absent(int hostPid, Range r) throws IOException {
        List<Range> out = new ArrayList<>();
        byte[] entries = new byte[(int) Math.min(r.pages(), 1 << 20) * 8];
        try (RandomAccessFile pagemap = new RandomAccessFile("/proc/" + hostPid + "/pagemap", "r")) {
            long start = -1;
            for (long done = 0; done < r.pages(); ) {
                int n = (int) Math.min(r.pages() - done, entries.length / 8);
                pagemap.seek((r.vaddr() / PAGE + done) * 8);
                pagemap.readFully(entries, 0, n * 8);
                ByteBuffer b = ByteBuffer.wrap(entries, 0, n * 8).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < n; i++) {
                    long e = b.getLong();
                    boolean there = (e & (3L << 62)) != 0;
                    long page = done + i;
                    if (!there && start < 0) {
                        start = page;
                    } else if (there && start >= 0) {
                        out.add(new Range(r.pid(), r.vaddr() + start * PAGE, page - start));
                        start = -1;
                    }
                }
                done += n;
            }
            if (start >= 0) {
                out.add(new Range(r.pid(), r.vaddr() + start * PAGE, r.pages() - start));
            }
        }
        return out;
    }
}
