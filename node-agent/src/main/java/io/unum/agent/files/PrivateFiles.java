package io.unum.agent.files;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The agent's state (specs with environment values, captured output, process images) is created
 * readable by the agent's user only: files 0600, directories 0700. The mode is given at creation,
 * not set afterwards, so there is no moment at which another user could open the file.
 */
public final class PrivateFiles {

    private static final FileAttribute<Set<PosixFilePermission>> FILE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    private static final FileAttribute<Set<PosixFilePermission>> DIR =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final Set<OpenOption> REPLACE =
            Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);

    private PrivateFiles() {
    }

    /** Like {@link Files#createDirectories}: the directories it creates are 0700. */
    public static Path createDirectories(Path dir) throws IOException {
        return Files.createDirectories(dir, DIR);
    }

    /** Like {@link Files#createDirectory}: fails if dir exists. */
    public static Path createDirectory(Path dir) throws IOException {
        return Files.createDirectory(dir, DIR);
    }

    /** Writes data to file, created 0600 (an existing file is truncated and keeps its mode). */
    public static void write(Path file, byte[] data) throws IOException {
        try (SeekableByteChannel ch = Files.newByteChannel(file, REPLACE, FILE)) {
            ByteBuffer buf = ByteBuffer.wrap(data);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }
    }

    public static void writeString(Path file, CharSequence text) throws IOException {
        write(file, text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** An output stream on file, created 0600. */
    public static OutputStream newOutputStream(Path file) throws IOException {
        return Channels.newOutputStream(Files.newByteChannel(file, REPLACE, FILE));
    }

    /** Copies a file's content into to, created 0600 (replacing what to held). */
    public static void copy(Path from, Path to) throws IOException {
        try (InputStream in = Files.newInputStream(from); OutputStream out = newOutputStream(to)) {
            in.transferTo(out);
        }
    }

    /** Creates file empty, 0600, unless it exists (for logs others append to). */
    public static void createIfAbsent(Path file) throws IOException {
        Files.newByteChannel(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), FILE).close();
    }

    /** A new file (it must not exist) open for writing, 0600. */
    public static FileChannel createNew(Path file) throws IOException {
        return FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), FILE);
    }
}
