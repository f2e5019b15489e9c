package io.unum.agent.output;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Reads output captured by unum-shim. A stream is a series of segment files
 * {@code <stream>.<N>} where N is the absolute offset of the segment's first byte; segments are
 * contiguous and the shim unlinks the oldest ones to stay within the output limit. Reads never
 * block on the writer: a segment that vanishes between listing and opening just means its bytes
 * are no longer kept, and a segment already opened stays readable after it is unlinked.
 */
public final class OutputStore {

    /** Largest chunk handed out at once (the gRPC contract caps chunks at 64 KiB). */
    public static final int MAX_CHUNK = 64 * 1024;

    /** Bytes read from a stream; offset may be later than asked when older bytes were dropped. */
    public record Chunk(long offset, byte[] data) {
        public long end() {
            return offset + data.length;
        }
    }

    private record Segment(long start, Path path) {
    }

    private final Path dir;

    public OutputStore(Path procDir) {
        this.dir = procDir;
    }

    /**
     * Reads up to max bytes starting at offset (or at the oldest byte still kept, if that is
     * later). Returns null when nothing is available at or after that offset yet.
     */
    public Chunk read(OutputStream stream, long offset, int max) {
        for (int attempt = 0; attempt < 5; attempt++) {
            List<Segment> segments = segments(stream);
            if (segments.isEmpty()) {
                return null;
            }
            long from = Math.max(offset, segments.get(0).start());
            Segment seg = null;
            for (int i = segments.size() - 1; i >= 0; i--) {
                if (segments.get(i).start() <= from) {
                    seg = segments.get(i);
                    break;
                }
            }
            try (FileChannel ch = FileChannel.open(seg.path(), StandardOpenOption.READ)) {
                long pos = from - seg.start();
                long size = ch.size();
                if (pos >= size) {
                    return null; // seg is the newest segment that starts at or before from
                }
                int n = (int) Math.min(max, size - pos);
                ByteBuffer buf = ByteBuffer.allocate(n);
                while (buf.hasRemaining()) {
                    int r = ch.read(buf, pos + buf.position());
                    if (r < 0) {
                        break;
                    }
                }
                return new Chunk(from, Arrays.copyOf(buf.array(), buf.position()));
            } catch (NoSuchFileException e) {
                // unlinked by the shim between listing and opening: list again
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return null;
    }

    /** Offset of the oldest byte still kept (the next byte written, when nothing is kept). */
    public long oldestOffset(OutputStream stream) {
        List<Segment> segments = segments(stream);
        return segments.isEmpty() ? 0 : segments.get(0).start();
    }

    private List<Segment> segments(OutputStream stream) {
        String prefix = stream.fileName() + ".";
        List<Segment> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, prefix + "*")) {
            for (Path f : files) {
                String suffix = f.getFileName().toString().substring(prefix.length());
                if (!suffix.isEmpty() && suffix.chars().allMatch(Character::isDigit)) {
                    out.add(new Segment(Long.parseLong(suffix), f));
                }
            }
        } catch (NoSuchFileException e) {
            return List.of(); // the process was removed
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(Comparator.comparingLong(Segment::start));
        return out;
    }
}
