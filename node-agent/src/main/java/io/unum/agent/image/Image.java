package io.unum.agent.image;

import io.unum.agent.files.PrivateFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * One process image on disk:
 *
 * <pre>
 * criu/              CRIU's image files
 * output/            the tail of the captured output (stdout.N, stderr.N as unum-shim writes them)
 * spec               the process's unum-shim spec (argv, cwd, user, env, output limit)
 * image.properties   gpid, where the output streams continue, the inodes of the dumped tree's pipes
 * manifest           "crc32c size path" for every file above; written last, so it marks a whole image
 * </pre>
 *
 * Logs (dump.log, restore logs) live beside these and are not part of the image.
 */
public record Image(String id, Path dir) {

    static final String MANIFEST = "manifest";
    static final String PROPERTIES = "image.properties";
    static final String VERIFIED = "verified";

    /** What image.properties holds. */
    public record Meta(int gpid, long stdoutOffset, long stderrOffset, long[] pipeInodes) {
        Properties toProperties() {
            Properties p = new Properties();
            p.setProperty("gpid", Integer.toString(gpid));
            p.setProperty("stdout-offset", Long.toString(stdoutOffset));
            p.setProperty("stderr-offset", Long.toString(stderrOffset));
            StringBuilder pipes = new StringBuilder();
            for (long inode : pipeInodes) {
                pipes.append(pipes.length() == 0 ? "" : " ").append(inode);
            }
            p.setProperty("pipes", pipes.toString());
            return p;
        }

        static Meta from(Properties p) {
            String pipes = p.getProperty("pipes", "").trim();
            long[] inodes = pipes.isEmpty() ? new long[0]
                    : Stream.of(pipes.split("\\s+")).mapToLong(Long::parseLong).toArray();
            return new Meta(Integer.parseInt(p.getProperty("gpid")), Long.parseLong(p.getProperty("stdout-offset", "0")),
                    Long.parseLong(p.getProperty("stderr-offset", "0")), inodes);
        }
    }

    public Path criuDir() {
        return dir.resolve("criu");
    }

    public Path outputDir() {
        return dir.resolve("output");
    }

    public Path spec() {
        return dir.resolve("spec");
    }

    public Meta meta() {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(dir.resolve(PROPERTIES))) {
            p.load(in);
            return Meta.from(p);
        } catch (IOException e) {
            throw new UncheckedIOException("image " + id + " has no readable " + PROPERTIES, e);
        } catch (RuntimeException e) {
            throw new IllegalStateException("image " + id + " has a malformed " + PROPERTIES + ": " + e.getMessage(), e);
        }
    }

    void writeMeta(Meta meta) throws IOException {
        try (var out = PrivateFiles.newOutputStream(dir.resolve(PROPERTIES))) {
            meta.toProperties().store(out, "unum process image");
        }
    }

    /** One manifest line. */
    public record Entry(String path, long size, String crc32c) {
    }

    /** Files of the image (not logs, not the manifest), relative paths in a stable order. */
    List<Path> files() throws IOException {
        List<Path> files = new ArrayList<>();
        for (String sub : List.of("criu", "output")) {
            Path d = dir.resolve(sub);
            if (Files.isDirectory(d)) {
                try (Stream<Path> s = Files.walk(d)) {
                    s.filter(Files::isRegularFile).map(dir::relativize).sorted().forEach(files::add);
                }
            }
        }
        for (String top : List.of("spec", PROPERTIES)) {
            if (Files.isRegularFile(dir.resolve(top))) {
                files.add(Path.of(top));
            }
        }
        return files;
    }

    /** Checksums every file and writes the manifest; returns the image's total size. */
    long seal() throws IOException {
        StringBuilder manifest = new StringBuilder();
        long total = 0;
        for (Path rel : files()) {
            Path f = dir.resolve(rel);
            long size = Files.size(f);
            manifest.append(checksum(f)).append(' ').append(size).append(' ').append(rel).append('\n');
            total += size;
        }
        Path tmp = dir.resolve(MANIFEST + ".tmp");
        PrivateFiles.writeString(tmp, manifest);
        Files.move(tmp, dir.resolve(MANIFEST), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return total + Files.size(dir.resolve(MANIFEST));
    }

    /**
     * Forces every file of the sealed image and its directories to the disk (fsync), so that a
     * checkpoint outlives a crash of the machine, not only of the agent. A migration's image is
     * not synced: it lives for the move, and a machine that crashes during it takes the process
     * either way.
     */
    void sync() throws IOException {
        java.util.Set<Path> dirs = new java.util.TreeSet<>();
        List<Path> all = new ArrayList<>(files());
        all.add(Path.of(MANIFEST));
        for (Path rel : all) {
            force(dir.resolve(rel));
            for (Path d = dir.resolve(rel).getParent(); d != null && d.startsWith(dir); d = d.getParent()) {
                dirs.add(d);
            }
        }
        for (Path d : dirs) {
            force(d);
        }
    }

    /** fsync(2) of a file or a directory (Linux opens either for reading). */
    static void force(Path path) throws IOException {
        try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(path, java.nio.file.StandardOpenOption.READ)) {
            c.force(true);
        }
    }

    public List<Entry> manifest() throws IOException {
        List<Entry> entries = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(MANIFEST), StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(" ", 3);
            if (f.length != 3) {
                throw new CorruptImageException("image " + id + " has a malformed manifest line: " + line);
            }
            entries.add(new Entry(f[2], Long.parseLong(f[1]), f[0]));
        }
        return entries;
    }

    /** Recomputes every checksum; throws naming the first file that does not match. */
    public void verify() throws IOException {
        verify(java.util.Map.of());
    }

    /**
     * Checks every file against the manifest, using the digests given (computed while the files
     * arrived) instead of reading those files again; throws naming the first file that does not match.
     */
    void verify(java.util.Map<String, String> knownDigests) throws IOException {
        List<Entry> entries;
        try {
            entries = manifest();
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CorruptImageException("image " + id + " is incomplete: it has no manifest");
        }
        for (Entry e : entries) {
            Path f = resolveInside(e.path());
            if (!Files.isRegularFile(f)) {
                throw new CorruptImageException("image " + id + " is corrupt: " + e.path() + " is missing");
            }
            String digest = knownDigests.containsKey(e.path()) ? knownDigests.get(e.path()) : checksum(f);
            if (Files.size(f) != e.size() || !digest.equals(e.crc32c())) {
                throw new CorruptImageException("image " + id + " is corrupt: " + e.path() + " does not match its CRC-32C checksum");
            }
        }
    }

    /**
     * Marks an image whose checksums were checked as it arrived, so that the restore right after
     * does not read a large image a second time. A restore consumes the mark: the next restore of
     * the same image checks again.
     */
    void markVerified() throws IOException {
        PrivateFiles.writeString(dir.resolve(VERIFIED), "");
    }

    /** True once: whether the image was marked verified since its last restore. */
    boolean consumeVerified() throws IOException {
        return Files.deleteIfExists(dir.resolve(VERIFIED));
    }

    /** Total bytes of the files a transfer sends (the manifest's files plus the manifest). */
    public long transferSize() throws IOException {
        long total = Files.size(dir.resolve(MANIFEST));
        for (Entry e : manifest()) {
            total += e.size();
        }
        return total;
    }

    /** A relative path from a manifest or a peer, resolved inside the image or refused. */
    Path resolveInside(String relative) {
        Path p = dir.resolve(relative).normalize();
        if (relative.isEmpty() || Path.of(relative).isAbsolute() || !p.startsWith(dir)) {
            throw new CorruptImageException("image " + id + " names a path outside itself: " + relative);
        }
        return p;
    }

    /**
     * CRC-32C of a file, in hex. Images guard against corruption on disk and in transit, not
     * against an attacker (agents authenticate each other with the join token), and CRC-32C runs
     * at memory speed where SHA-256 took 1.4 s per 512 MiB here, inside the migration's freeze.
     */
    static String checksum(Path f) throws IOException {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(f)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                crc.update(buf, 0, n);
            }
        }
        return hex(crc);
    }

    static String hex(java.util.zip.CRC32C crc) {
        return String.format("%08x", crc.getValue());
    }
}
